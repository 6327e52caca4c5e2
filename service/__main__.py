"""`python -m service` is the `mentormail` command."""

from service.cli import main

main()
