"""The domain core: plain Python, importing neither Prefect, the database nor Word."""
