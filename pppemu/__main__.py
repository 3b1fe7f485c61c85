from pppemu.app.cli import main

main()
