/*
 * phonenumber.cc - libphonenumber behind a C interface (see phonenumber.h).
 *
 * The only C++ in faxgate: the library offers no C API. Everything here is kept to calling it
 * and copying results into plain C structs; every entry point catches all exceptions.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "fax/phonenumber.h"
extern "C" {
#include "util/log.h"
}

namespace pn = i18n::phonenumbers;

namespace
{

/* Longest line of libphonenumber's we keep; its messages are short. */
const size_t LOG_LINE_MAX = 400;

/*
 * libphonenumber writes one message as a WriteLevel() call followed by several WriteMessage()
 * pieces ending in "\n"; threads may log at once, so each keeps its own line.
 */
class FaxgateLogger : public pn::Logger
{
      public:
	void WriteLevel() override
	{
		flush();
	}
	void WriteMessage(const std::string &msg) override
	{
		std::string &line = pending();
		for (char c : msg) {
			if (c == '\n')
				flush();
			else if (line.size() < LOG_LINE_MAX)
				line.push_back(c == '\r' || c == '\t' ? ' ' : c);
		}
	}

      private:
	static std::string &pending()
	{
		thread_local std::string line;
		return line;
	}
	static void flush()
	{
		std::string &line = pending();
		if (!line.empty())
			log_info("libphonenumber: %s", line.c_str());
		line.clear();
	}
};

pthread_once_t util_once = PTHREAD_ONCE_INIT;
const pn::PhoneNumberUtil *util_instance;

void util_init()
{
	try {
		pn::PhoneNumberUtil *u = pn::PhoneNumberUtil::GetInstance();
		pn::Logger *logger = new FaxgateLogger();
		logger->set_level(pn::LOG_WARNING);
		u->SetLogger(logger); /* takes ownership */
		util_instance = u;
	} catch (...) {
		util_instance = nullptr;
	}
}

const pn::PhoneNumberUtil *util()
{
	pthread_once(&util_once, util_init);
	if (!util_instance)
		log_error("libphonenumber could not be initialised");
	return util_instance;
}

template <size_t N> void copy_out(char (&dst)[N], const std::string &src)
{
	snprintf(dst, N, "%s", src.c_str());
}

enum phonenumber_rc analyse(const pn::PhoneNumberUtil &u, const char *digits, struct phonenumber_info *out)
{
	pn::PhoneNumber num;
	std::string text = std::string("+") + digits;

	switch (u.Parse(text, "ZZ", &num)) {
	case pn::PhoneNumberUtil::NO_PARSING_ERROR:
		break;
	case pn::PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
		return PHONENUMBER_BAD_COUNTRY;
	case pn::PhoneNumberUtil::TOO_LONG_NSN:
		return PHONENUMBER_TOO_LONG;
	default: /* the input is digits only, so "not a number" means too few of them */
		return PHONENUMBER_TOO_SHORT;
	}

	std::string s;
	out->country_code = num.country_code();
	u.GetNationalSignificantNumber(num, &s);
	copy_out(out->nsn, s);
	s.clear();
	u.Format(num, pn::PhoneNumberUtil::E164, &s);
	copy_out(out->e164, s);
	s.clear();
	u.GetRegionCodeForNumber(num, &s);
	copy_out(out->region, s == "ZZ" ? std::string() : s);
	out->valid = u.IsValidNumber(num);
	out->type = static_cast<enum phonenumber_type>(u.GetNumberType(num));
	if (out->type < PHONENUMBER_FIXED_LINE || out->type > PHONENUMBER_UNKNOWN)
		out->type = PHONENUMBER_UNKNOWN;

	switch (u.IsPossibleNumberWithReason(num)) {
	case pn::PhoneNumberUtil::IS_POSSIBLE:
		return PHONENUMBER_OK;
	case pn::PhoneNumberUtil::INVALID_COUNTRY_CODE:
		return PHONENUMBER_BAD_COUNTRY;
	case pn::PhoneNumberUtil::TOO_SHORT:
		return PHONENUMBER_TOO_SHORT;
	case pn::PhoneNumberUtil::TOO_LONG:
		return PHONENUMBER_TOO_LONG;
	default: /* a length of no number there, or one that only works inside its area */
		return PHONENUMBER_BAD_LENGTH;
	}
}

} // namespace

extern "C" enum phonenumber_rc phonenumber_analyse(const char *digits, struct phonenumber_info *out)
{
	memset(out, 0, sizeof *out);
	out->type = PHONENUMBER_UNKNOWN;

	size_t n = digits ? strspn(digits, "0123456789") : 0;
	if (n == 0 || n > 20 || digits[n] != '\0')
		return PHONENUMBER_BAD_INPUT;
	const pn::PhoneNumberUtil *u = util();
	if (!u)
		return PHONENUMBER_INTERNAL;
	try {
		return analyse(*u, digits, out);
	} catch (const std::exception &e) {
		log_error("libphonenumber: %s", e.what());
	} catch (...) {
		log_error("libphonenumber: unknown exception");
	}
	return PHONENUMBER_INTERNAL;
}

extern "C" bool phonenumber_country_exists(int country_code)
{
	const pn::PhoneNumberUtil *u = util();
	if (!u || country_code <= 0 || country_code > 999)
		return false;
	try {
		std::string region;
		u->GetRegionCodeForCountryCode(country_code, &region);
		return region != "ZZ";
	} catch (...) {
		log_error("libphonenumber: exception looking up a country code");
	}
	return false;
}

extern "C" const char *phonenumber_type_name(enum phonenumber_type type)
{
	static const char *const names[] = {
	    "fixed line",  "mobile",  "fixed line or mobile", "toll free", "premium rate",
	    "shared cost", "VoIP",    "personal number",      "pager",     "universal access number",
	    "voicemail",   "unknown",
	};
	if (type < PHONENUMBER_FIXED_LINE || type > PHONENUMBER_UNKNOWN)
		return "unknown";
	return names[type];
}
