"""How the window looks: colours, themes, icons."""
