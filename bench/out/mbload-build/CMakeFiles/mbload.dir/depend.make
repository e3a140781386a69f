# Empty dependencies file for mbload.
# This may be replaced when dependencies are built.
