"""Allow ``python -m generator``."""

from generator._cli import main

main()
