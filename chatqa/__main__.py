"""``python -m chatqa``."""

from .cli import main

main()
