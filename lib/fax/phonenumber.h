/*
 * phonenumber.h - the C face of libphonenumber (C++): what a number in international form is.
 *
 * Only what the dial plan needs: split "+CC NSN" into country code and national significant
 * number, whether it is possible (length) and valid (a range that exists), and its kind (premium
 * rate, shared cost, mobile...), all from the per-country metadata shipped with the library.
 *
 * Thread safety: every function may be called from any thread. libphonenumber's PhoneNumberUtil
 * is a singleton created under pthread_once; the methods used here are const and its regular
 * expression cache takes a mutex. The one call that is not thread-safe, SetLogger, is made once
 * inside our own pthread_once before the first use, so libphonenumber's messages reach log.h
 * (at info level) instead of stdout/stderr. No C++ exception crosses this interface.
 */
#ifndef FAXGATE_FAX_PHONENUMBER_H
#define FAXGATE_FAX_PHONENUMBER_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

enum phonenumber_rc {
	PHONENUMBER_OK = 0,      /* parsed, and its length is possible; see valid */
	PHONENUMBER_BAD_INPUT,   /* not 1..20 ASCII digits */
	PHONENUMBER_BAD_COUNTRY, /* no such country calling code */
	PHONENUMBER_TOO_SHORT,   /* shorter than any number of that country */
	PHONENUMBER_TOO_LONG,    /* longer than any number of that country */
	PHONENUMBER_BAD_LENGTH,  /* between, but no number there has this length */
	PHONENUMBER_INTERNAL,    /* libphonenumber failed (an exception, out of memory) */
};

/* The number kinds of libphonenumber, in its order. */
enum phonenumber_type {
	PHONENUMBER_FIXED_LINE,
	PHONENUMBER_MOBILE,
	PHONENUMBER_FIXED_LINE_OR_MOBILE,
	PHONENUMBER_TOLL_FREE,
	PHONENUMBER_PREMIUM_RATE,
	PHONENUMBER_SHARED_COST,
	PHONENUMBER_VOIP,
	PHONENUMBER_PERSONAL_NUMBER,
	PHONENUMBER_PAGER,
	PHONENUMBER_UAN,
	PHONENUMBER_VOICEMAIL,
	PHONENUMBER_UNKNOWN,
};

struct phonenumber_info {
	int country_code; /* 49 */
	char nsn[24];     /* national significant number, "301234100" (Italy keeps its leading 0) */
	char e164[28];    /* "+49301234100" */
	char region[4];   /* ISO 3166 region ("DE", "US", "CA"), "001" for global services, "" unknown */
	bool valid;       /* it lies in a range the metadata knows */
	enum phonenumber_type type; /* PHONENUMBER_UNKNOWN unless valid */
};

/*
 * Look at digits = country code and national number, without '+' ("49301234100"). out is
 * filled in as far as the number could be read (also when the length is wrong).
 */
enum phonenumber_rc phonenumber_analyse(const char *digits, struct phonenumber_info *out);
/* Whether a country calling code exists (49 yes, 999 no). */
bool phonenumber_country_exists(int country_code);
/* "premium rate", "fixed line"... for logs. */
const char *phonenumber_type_name(enum phonenumber_type type);

#ifdef __cplusplus
}
#endif

#endif
