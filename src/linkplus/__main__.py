from linkplus.cli import main

main()
