"""`python -m paperwire` runs the command-line interface."""

from paperwire.cli import main

if __name__ == "__main__":
    main()
