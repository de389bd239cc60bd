"""Places: the district > street > community > grid tree everything hangs on."""
