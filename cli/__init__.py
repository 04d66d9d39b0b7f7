"""The ``workstation`` command line, over the same ``Workspace`` façade as the window.
The core (``workstation``) never imports this package."""
