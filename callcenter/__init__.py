"""The application shell: configuration, the command line, the in-process
domain event bus, the clock, phone-number normalisation and the wiring that
connects the PBX adapters to storage. Business rules live in the feature
packages (``pbx``, ``routing``, ``crm``, ...), not here."""
