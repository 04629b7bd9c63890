from petsage.cli import main

raise SystemExit(main())
