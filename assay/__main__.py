from assay.interfaces.cli import main

main()
