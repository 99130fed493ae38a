/*
 * conf_keys.c - the table of every configuration key: type, default, range, description.
 *
 * Add a key here and in struct conf; the parser, `faxctl config check`, the defaults and the
 * reference in docs/configuration.md all follow from this table.
 */
#include <stddef.h>
#include <stdlib.h>

#include "conf/conf.h"

#define K(name, type, def, min, max, choices, desc)                                                          \
	{                                                                                                    \
#name, type, offsetof(struct conf, name), def, min, max, choices, desc                       \
	}
#define MB (1024L * 1024)

const struct cfg_key conf_keys[] = {
    K(run_user, CFG_STRING, "faxgate", 0, 0, NULL,
      "User the daemons and faxctl's queue commands switch to when started as root; empty: stay root "
      "(not recommended)."),
    K(log_target, CFG_ENUM, "syslog", 0, 0, "syslog|stderr", "Where daemons log; tools log to stderr."),
    K(log_level, CFG_ENUM, "notice", 0, 0, "error|warning|notice|info|debug", "Lowest severity logged."),
    K(log_facility, CFG_ENUM, "mail", 0, 0,
      "mail|daemon|user|local0|local1|local2|local3|local4|local5|local6|local7", "Syslog facility."),

    K(render_resolution, CFG_ENUM, "fine", 0, 0, "standard|fine|superfine",
      "Vertical resolution of rendered pages: 98, 196 or 391 lines per inch."),
    K(render_paper, CFG_ENUM, "a4", 0, 0, "a4|letter", "Paper size of rendered pages."),
    K(render_chop_blank_end, CFG_BOOL, "yes", 0, 0, NULL,
      "Cut blank space at the end of a page to save line time."),
    K(render_chop_min_mm, CFG_INT, "20", 1, 300, NULL,
      "Blank space at the end of a page is cut only when it is at least this long (mm)."),
    K(render_drop_blank_pages, CFG_BOOL, "yes", 0, 0, NULL, "Leave out pages that carry no ink."),
    K(render_max_pages, CFG_INT, "100", 1, 5000, NULL, "Most pages one fax may have, cover page included."),
    K(render_text_threshold, CFG_INT, "168", 1, 254, NULL,
      "Grey level (0 black, 255 white) below which text and line art become black."),
    K(render_photo_gamma_pct, CFG_INT, "80", 20, 300, NULL,
      "Gamma applied to photos before halftoning, in percent; below 100 lightens mid-tones."),
    K(render_text_font, CFG_STRING, "DejaVu Sans Mono 10", 0, 0, NULL,
      "Pango font for plain-text documents; missing scripts fall back through fontconfig."),
    K(render_cover_template, CFG_PATH, "", 0, 0, NULL,
      "Cover page template; empty uses the template installed in the data directory."),

    K(render_cpu_seconds, CFG_DURATION, "60s", 1, 3600, NULL, "CPU time one document's conversion may use."),
    K(render_timeout, CFG_DURATION, "120s", 1, 3600, NULL,
      "Wall-clock time one document's conversion may take."),
    K(render_memory, CFG_SIZE, "1024M", 64 * MB, 64L * 1024 * MB, NULL,
      "Memory a converter may use (PDF, images, text, PostScript)."),
    K(render_office_memory, CFG_SIZE, "4096M", 256 * MB, 64L * 1024 * MB, NULL,
      "Address space LibreOffice may use when converting office documents."),
    K(render_max_output, CFG_SIZE, "512M", 1 * MB, 64L * 1024 * MB, NULL,
      "Largest file a converter may write (intermediate PDFs)."),
    K(render_max_image_pixels, CFG_INT, "150000000", 1000, 2000000000L, NULL,
      "Largest image, in pixels (width x height), that will be decoded."),
    K(render_max_unpacked, CFG_SIZE, "256M", 1 * MB, 64L * 1024 * MB, NULL,
      "Largest total unpacked size of a zipped office document."),
    K(render_max_input, CFG_SIZE, "64M", 1024, 4L * 1024 * MB, NULL, "Largest single document accepted."),
    K(render_isolate_network, CFG_BOOL, "yes", 0, 0, NULL,
      "Run converters in a private network namespace with no network; fail if that is impossible."),
    K(render_isolate_files, CFG_BOOL, "yes", 0, 0, NULL,
      "Hide the host's private folders (/home, /root, /tmp, /var/lib, ...) from converters; fail if that is "
      "impossible."),
    K(render_user, CFG_STRING, "nobody", 0, 0, NULL,
      "User converters run as when faxgate runs as root; a user of their own is better than nobody."),
    K(render_helper, CFG_PATH, "", 0, 0, NULL,
      "The faxrender helper program; empty finds it next to the program or in the libexec directory."),
    K(render_ghostscript, CFG_PATH, "/usr/bin/gs", 0, 0, NULL, "Ghostscript, used for PostScript."),
    K(render_soffice, CFG_PATH, "/usr/bin/soffice", 0, 0, NULL,
      "LibreOffice, used for office documents and HTML."),
    K(render_tmpdir, CFG_PATH, "/tmp", 0, 0, NULL, "Where private scratch folders for conversions are made."),
    K(render_workers, CFG_INT, "2", 1, 8, NULL,
      "Processes drawing the pages of one document; 1 draws them one by one. Best at the number of cores."),

    K(db_driver, CFG_ENUM, "sqlite", 0, 0, "sqlite|postgresql",
      "Where the job queue lives: an SQLite file on this server, or a PostgreSQL database."),
    K(db_path, CFG_PATH, "/var/lib/faxgate/faxgate.db", 0, 0, NULL, "The SQLite database file."),
    K(db_conninfo, CFG_STRING, "dbname=faxgate", 0, 0, NULL,
      "libpq connection string for PostgreSQL; keep passwords in a passfile, not here."),
    K(db_timeout, CFG_DURATION, "10s", 1, 600, NULL,
      "How long to wait for the database (connect, locks) before giving up with a temporary failure."),

    K(milter_socket, CFG_STRING, "inet:10025@127.0.0.1", 0, 0, NULL,
      "Where faxmilter listens, in libmilter form: unix:/path or inet:port@address."),
    K(milter_timeout, CFG_DURATION, "300s", 10, 3600, NULL, "How long faxmilter waits for the MTA."),
    K(milter_max_message, CFG_SIZE, "32M", 64 * 1024, 4L * 1024 * MB, NULL,
      "Largest mail to fax; larger mail to fax recipients is refused with 552 5.3.4."),
    K(milter_max_recipients, CFG_INT, "20", 1, 1000, NULL, "Most fax recipients one mail may have."),
    K(fax_domains, CFG_LIST, "", 0, 0, NULL,
      "Mail domains whose recipients are fax numbers, e.g. fax.example.com; empty: none."),
    K(fax_cover, CFG_BOOL, "yes", 0, 0, NULL, "Put a cover page first unless the sender says otherwise."),
    K(fax_body, CFG_ENUM, "auto", 0, 0, "auto|cover|pages|none",
      "What becomes of the mail's text: auto puts short text on the cover and longer text on pages."),
    K(fax_body_cover_lines, CFG_INT, "25", 0, 200, NULL,
      "With fax_body = auto, text of at most this many lines goes on the cover page."),
    K(fax_priority, CFG_INT, "50", 0, 100, NULL, "Priority of new jobs; higher is sent first."),

    K(dial_country_code, CFG_STRING, "", 0, 0, NULL,
      "This server's country calling code, e.g. 49 or 1; needed to accept national numbers."),
    K(dial_area_code, CFG_STRING, "", 0, 0, NULL,
      "This server's area code without the national prefix, e.g. 30; needed to accept local numbers."),
    K(dial_international_prefix, CFG_STRING, "00", 0, 0, NULL,
      "Digits dialled before a country code, e.g. 00 or 011."),
    K(dial_national_prefix, CFG_STRING, "0", 0, 0, NULL,
      "Digits dialled before an area code (trunk prefix), e.g. 0 or 1; may be empty."),
    K(dial_outside_prefix, CFG_STRING, "", 0, 0, NULL,
      "Digits the line needs to reach the public network (a PBX's outside line), e.g. 0 or 9."),
    K(dial_local_without_area, CFG_BOOL, "no", 0, 0, NULL,
      "Dial numbers in this server's area without the area code."),
    K(dial_allow_international, CFG_BOOL, "no", 0, 0, NULL, "Allow faxes to other countries."),
    K(dial_allow_premium, CFG_BOOL, "no", 0, 0, NULL,
      "Allow faxes to premium-rate, shared-cost and other expensive numbers."),
    K(dial_allow_prefixes, CFG_LIST, "", 0, 0, NULL,
      "E.164 prefixes always allowed, e.g. +44 for a branch abroad; they override the rules above."),
    K(dial_deny_prefixes, CFG_LIST, "", 0, 0, NULL,
      "E.164 prefixes never allowed; they override everything else."),

    K(policy_allow_authenticated, CFG_BOOL, "no", 0, 0, NULL, "Every SMTP-authenticated user may fax."),
    K(policy_trusted_networks, CFG_LIST, "", 0, 0, NULL,
      "Clients (internal mail servers) whose envelope sender is believed; mail from other clients "
      "is identified only by SMTP authentication. Local submissions come from 127.0.0.1."),
    K(policy_allow_networks, CFG_LIST, "", 0, 0, NULL,
      "Client networks from which anyone may fax, e.g. a scanner VLAN, in CIDR form."),
    K(policy_allow_senders, CFG_LIST, "", 0, 0, NULL,
      "Senders who may fax: user@domain, @domain, or an authenticated user name."),
    K(policy_ldap_group, CFG_STRING, "", 0, 0, NULL,
      "DN of a directory group whose members may fax; needs ldap_uri."),
    K(policy_daily_pages, CFG_INT, "500", 0, 1000000, NULL,
      "Most pages one sender may queue a day (since local midnight); 0: no limit."),

    K(ldap_type, CFG_ENUM, "ad", 0, 0, "ad|domino|generic",
      "The directory: Active Directory, Domino, or any LDAP server (inetOrgPerson)."),
    K(ldap_uri, CFG_STRING, "", 0, 0, NULL,
      "Directory servers, e.g. ldaps://dc1.example.com ldaps://dc2.example.com; empty: no directory."),
    K(ldap_base, CFG_STRING, "", 0, 0, NULL, "Where users are searched, e.g. dc=example,dc=com."),
    K(ldap_bind_dn, CFG_STRING, "", 0, 0, NULL, "The service account faxgate binds as; empty: anonymous."),
    K(ldap_bind_password_file, CFG_PATH, "", 0, 0, NULL,
      "File holding the service account's password (keep it readable by faxgate only)."),
    K(ldap_starttls, CFG_BOOL, "no", 0, 0, NULL, "Use StartTLS on ldap:// connections."),
    K(ldap_ca_file, CFG_PATH, "", 0, 0, NULL,
      "CA certificates to verify the directory servers; empty: system."),
    K(ldap_user_filter, CFG_STRING, "", 0, 0, NULL,
      "Filter finding a user by mail address or login, %s standing for it (escaped); empty: by ldap_type."),
    K(ldap_timeout, CFG_DURATION, "5s", 1, 120, NULL, "How long one directory query may take."),
    K(ldap_cache_time, CFG_DURATION, "5m", 0, 86400, NULL, "How long directory answers are remembered."),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};
