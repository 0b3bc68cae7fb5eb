# Included from the top CMakeLists.txt (custom commands must share the ggml target's directory).
# The Vulkan backend: C++ host code plus one compute shader per op, compiled to SPIR-V with glslc and
# embedded in the library. Shaders listed in TYPED_SHADERS are compiled once per weight type, with
# -DA_TYPE=<GGUF type id> and -DA_<TYPE>=1, into <stem>_<type>.spv.
set(VK_DIR ${CMAKE_SOURCE_DIR}/backends/vulkan)
set(VK_BIN ${CMAKE_BINARY_DIR}/backends/vulkan)
set(TYPED_SHADERS mul_mat mul_mat_vec get_rows)
set(WEIGHT_TYPES f32:0 f16:1 bf16:30 q4_0:2 q4_1:3 q5_0:6 q5_1:7 q8_0:8 q2_k:10 q3_k:11 q4_k:12 q5_k:13 q6_k:14)

file(GLOB SHADER_SOURCES CONFIGURE_DEPENDS ${VK_DIR}/shaders/*.comp)
file(GLOB SHADER_INCLUDES CONFIGURE_DEPENDS ${VK_DIR}/shaders/*.glsl)
set(SPV_DIR ${VK_BIN}/spv)
file(MAKE_DIRECTORY ${SPV_DIR})
set(SPV_FILES)

function(compile_shader src out)
  add_custom_command(OUTPUT ${out}
    COMMAND ${GLSLC} --target-env=vulkan1.1 -O -I ${VK_DIR}/shaders ${ARGN} -o ${out} ${src}
    DEPENDS ${src} ${SHADER_INCLUDES}
    COMMENT "glslc ${out}" VERBATIM)
endfunction()

foreach(src ${SHADER_SOURCES})
  get_filename_component(stem ${src} NAME_WE)
  if(stem IN_LIST TYPED_SHADERS)
    foreach(pair ${WEIGHT_TYPES})
      string(REPLACE ":" ";" pair ${pair})
      list(GET pair 0 tname)
      list(GET pair 1 tid)
      string(TOUPPER ${tname} TUP)
      compile_shader(${src} ${SPV_DIR}/${stem}_${tname}.spv -DA_TYPE=${tid}u -DA_${TUP}=1)
      list(APPEND SPV_FILES ${SPV_DIR}/${stem}_${tname}.spv)
    endforeach()
  else()
    compile_shader(${src} ${SPV_DIR}/${stem}.spv)
    list(APPEND SPV_FILES ${SPV_DIR}/${stem}.spv)
  endif()
endforeach()

string(REPLACE ";" "|" SPV_LIST "${SPV_FILES}")
set(EMBEDDED ${VK_BIN}/shaders_embedded.cpp)
add_custom_command(OUTPUT ${EMBEDDED}
  COMMAND ${CMAKE_COMMAND} -DOUT=${EMBEDDED} -DFILES=${SPV_LIST} -P ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
  DEPENDS ${SPV_FILES} ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
  COMMENT "embedding SPIR-V" VERBATIM)

file(GLOB_RECURSE VULKAN_SOURCES CONFIGURE_DEPENDS ${VK_DIR}/*.cpp)
# Vulkan's structs are filled as {sType} then by member: the rest is zero on purpose.
set_source_files_properties(${VULKAN_SOURCES} PROPERTIES COMPILE_OPTIONS -Wno-missing-field-initializers)
target_sources(ggml PRIVATE ${VULKAN_SOURCES} ${EMBEDDED})
target_link_libraries(ggml PUBLIC Vulkan::Vulkan)
target_compile_definitions(ggml PUBLIC GIRAFFE_VULKAN=1)
