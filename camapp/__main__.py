from camapp.cli import main

raise SystemExit(main())
