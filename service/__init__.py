"""mentormail: mentoring programs run by email."""

__version__ = "0.1.0"
