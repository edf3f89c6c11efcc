from rxlocal.stack import main

raise SystemExit(main())
