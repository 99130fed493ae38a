/*
 * words.h - walking a configuration list (CFG_LIST: words separated by commas or blanks).
 */
#ifndef FAXGATE_POLICY_WORDS_H
#define FAXGATE_POLICY_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* The next word at *cursor: true with word and len set and *cursor past it; false at the end. */
bool words_next(const char **cursor, const char **word, size_t *len);

#endif
