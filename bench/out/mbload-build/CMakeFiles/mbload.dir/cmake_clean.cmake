file(REMOVE_RECURSE
  "CMakeFiles/mbload.dir/mbload.cpp.o"
  "CMakeFiles/mbload.dir/mbload.cpp.o.d"
  "mbload"
  "mbload.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/mbload.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
