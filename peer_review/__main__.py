from peer_review.cli import main

main()
