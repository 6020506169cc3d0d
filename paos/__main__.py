from paos.cli import main

main()
