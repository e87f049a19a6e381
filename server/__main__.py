import sys

from metacompress_server.app import main

sys.exit(main())
