/*
 * route_number.h - fax numbers as people write them into a directory or the configuration
 * ("+49 30 1234-100", "+49 (0)30 1234 100", "(030) 1234 102", "0049 30 1234 103", "104"),
 * made comparable: cleaned to digits, then read as E.164 the way the milter reads a sender's
 * number (dialplan_resolve, from this server's place: country, area and prefixes), or compared by
 * their last digits (a routing code).
 *
 * Shared by routing (the number called, inbound_routes) and the directory (its values), so both
 * sides of every comparison are read alike. Values come from directories and lines: each is
 * length-checked before anything is built from it.
 */
#ifndef FAXGATE_ROUTE_ROUTE_NUMBER_H
#define FAXGATE_ROUTE_ROUTE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

/* Most digits a written number may have (E.164 has 15; the room above is for prefixes). */
#define ROUTE_NUMBER_MAX 20
/* Room for a clean number or an E.164 number: '+', the digits, NUL. */
#define ROUTE_NUMBER_SIZE (ROUTE_NUMBER_MAX + 2)

/*
 * The digits of s[0..len), with its leading '+': blanks and - . / are separators, brackets must
 * pair, "(0)" after a country code is dropped ("+49 (0)30" is "+4930"). false when it holds
 * letters or other characters, no digit, or more than ROUTE_NUMBER_MAX digits.
 */
bool route_number_clean(const char *s, size_t len, char out[ROUTE_NUMBER_SIZE]);
/*
 * A clean number in E.164 ("+49301234100"), read with the dial plan but without its policy: a
 * number faxes may not be sent to is still a number that can be called. false when it cannot be
 * read (too short for its country, no country code while dial_country_code is empty...).
 */
bool route_number_e164(const struct conf *conf, const char *clean, char out[ROUTE_NUMBER_SIZE]);
/* Whether a clean number has no prefix: neither '+' nor the international or national prefix. */
bool route_number_is_local(const struct conf *conf, const char *clean);
/* Number of digits in a clean or E.164 number. */
size_t route_number_digits(const char *number);
/* Whether the last n digits of a and b are the same (false when either has fewer than n). */
bool route_number_tail_equal(const char *a, const char *b, size_t n);
/* Whether b's digits end with all of a's digits ("100" and "+49301234100"). */
bool route_number_ends_with(const char *b, const char *a);

#endif
