# Writes every migrations/NNNN_name.sql of DIR, in order, into OUTPUT as
# `llmux::store::kMigrations` (version number + SQL text), so the binary carries its schema.
file(GLOB files ${DIR}/*.sql)
list(SORT files)
set(body "")
foreach(file ${files})
  get_filename_component(name ${file} NAME)
  string(REGEX MATCH "^[0-9]+" version ${name})
  string(REGEX REPLACE "^0+" "" version ${version})
  file(READ ${file} sql)
  string(APPEND body "  {${version}, \"${name}\", R\"llmux_sql(${sql})llmux_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT} "#include \"store/migrations.hpp\"\nnamespace llmux::store {\nconst std::vector<Migration> kMigrations = {\n${body}};\n}\n")
