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
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};
