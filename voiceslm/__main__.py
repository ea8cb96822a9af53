from voiceslm.cli import main

raise SystemExit(main())
