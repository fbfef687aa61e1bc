"""Icons and style sheets shipped with the app; a package so editable installs can find them."""
