"""`python -m ferrofix_desktop`: start the desktop app."""

from .app import main

if __name__ == "__main__":
    main()
