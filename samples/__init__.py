"""Sample datasets shipped with the app (File > Samples); a package so editable installs can find them."""
