"""`python -m gateway` behaves as `boardgate`."""

from .cli import main

raise SystemExit(main())
