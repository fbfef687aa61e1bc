"""The main window: its docks, actions and menus, sessions and exports."""
