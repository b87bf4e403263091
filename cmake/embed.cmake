# Writes INPUT's text into OUTPUT as `extern const char* const llmux_embedded_config`.
file(READ ${INPUT} content)
set(delim "llmux_cfg")
file(WRITE ${OUTPUT} "extern const char* const llmux_embedded_config;\nconst char* const llmux_embedded_config = R\"${delim}(${content})${delim}\";\n")
