"""``python -m bookkeeper_tui`` does what the ``bookkeeper`` command does."""

from bookkeeper_tui.cli import main

raise SystemExit(main())
