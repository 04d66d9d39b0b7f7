"""Qt desktop application for Analyst Workstation (built over ``workstation.Workspace``)."""
