/*
 * conf.h - faxgate's configuration: one struct, one key table (conf_keys.c), one file for all programs.
 *
 * Every program loads the same file (default FAXGATE_SYSCONFDIR/faxgate.conf). The key table is
 * the reference: `faxctl config reference` prints it and docs/configuration.md is checked against it.
 */
#ifndef FAXGATE_CONF_CONF_H
#define FAXGATE_CONF_CONF_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/cfgfile.h"

/* Order matches the choices strings in conf_keys.c. */
enum conf_resolution { CONF_RES_STANDARD, CONF_RES_FINE, CONF_RES_SUPERFINE };
enum conf_paper { CONF_PAPER_A4, CONF_PAPER_LETTER };
enum conf_log_target { CONF_LOG_SYSLOG, CONF_LOG_STDERR };
enum conf_db_driver { CONF_DB_SQLITE, CONF_DB_POSTGRESQL };
enum conf_fax_body { CONF_BODY_AUTO, CONF_BODY_COVER, CONF_BODY_PAGES, CONF_BODY_NONE };
enum conf_ldap_type { CONF_LDAP_AD, CONF_LDAP_DOMINO, CONF_LDAP_GENERIC };
enum conf_line_driver { CONF_LINE_SIM, CONF_LINE_SIP };
enum conf_sim_timing { CONF_SIM_UNPACED, CONF_SIM_REALTIME };
enum conf_sim_law { CONF_LAW_ULAW, CONF_LAW_ALAW };
enum conf_sip_refresh { CONF_REFRESH_UPDATE, CONF_REFRESH_INVITE };
enum conf_starttls { CONF_TLS_NO, CONF_TLS_TRY, CONF_TLS_REQUIRE };

struct conf {
	/* the service user */
	char *run_user;

	/* logging */
	int log_target;
	int log_level; /* enum log_level */
	int log_facility;

	/* rendering: page format */
	int render_resolution;
	int render_paper;
	bool render_chop_blank_end;
	long render_chop_min_mm;
	bool render_drop_blank_pages;
	long render_max_pages;
	long render_text_threshold;
	long render_photo_gamma_pct;
	char *render_text_font;
	char *render_cover_template;

	/* rendering: safety limits for converters */
	long render_cpu_seconds;
	long render_timeout;
	long render_memory;
	long render_office_memory;
	long render_max_output;
	long render_max_image_pixels;
	long render_max_unpacked;
	long render_max_input;
	bool render_isolate_network;
	bool render_isolate_files;
	char *render_user;
	char *render_helper;
	char *render_ghostscript;
	char *render_soffice;
	char *render_tmpdir;

	/* rendering: speed */
	long render_workers;

	/* the job queue */
	int db_driver;
	char *db_path;
	char *db_conninfo;
	long db_timeout;

	/* faxmilter */
	char *milter_socket;
	long milter_timeout;
	long milter_max_message;
	long milter_max_recipients;
	char *fax_domains;
	bool fax_cover;
	int fax_body;
	long fax_body_cover_lines;
	long fax_priority;

	/* dial plan: numbers to E.164 and dial strings, and where faxes may go */
	char *dial_country_code;
	char *dial_area_code;
	char *dial_international_prefix;
	char *dial_national_prefix;
	char *dial_outside_prefix;
	bool dial_local_without_area;
	bool dial_allow_international;
	bool dial_allow_premium;
	char *dial_allow_prefixes;
	char *dial_deny_prefixes;

	/* who may fax */
	bool policy_allow_authenticated;
	char *policy_trusted_networks;
	char *policy_allow_networks;
	char *policy_allow_senders;
	char *policy_ldap_group;
	long policy_daily_pages;

	/* the directory (Active Directory, Domino or any LDAP server) */
	int ldap_type;
	char *ldap_uri;
	char *ldap_base;
	char *ldap_bind_dn;
	char *ldap_bind_password_file;
	bool ldap_starttls;
	char *ldap_ca_file;
	char *ldap_user_filter;
	long ldap_timeout;
	long ldap_cache_time;

	/* faxd: sending and receiving */
	char *faxd_name;
	long faxd_lease;
	long faxd_poll;
	long faxd_max_per_destination;
	long faxd_call_timeout;
	long faxd_stall_timeout;
	bool fax_ecm;
	long fax_max_speed;
	char *fax_station_id;
	char *fax_header;

	/* retries by cause */
	long retry_busy;
	long retry_no_answer;
	long retry_voice;
	long retry_dropped;
	long retry_protocol;
	long retry_line;
	long retry_max_attempts;
	long retry_max_age;
	bool retry_skip_confirmed;

	/* lines */
	int line_driver;
	long line_count;
	char *line_numbers;
	long line_failures_down;
	long line_retest;

	/* the simulated telephone network */
	char *sim_socket;
	char *sim_plan;
	int sim_timing;
	int sim_law;

	/* SIP trunks (line_driver = sip) */
	char *sip_listen;
	char *sip_media_address;
	long sip_rtp_port_min;
	long sip_rtp_port_max;
	char *sip_trunks;
	long sip_jitter_ms;
	long sip_ring_timeout;
	long sip_session_expires;
	int sip_refresh;
	bool sip_t38;
	long sip_t38_timeout;
	long sip_t38_redundancy;
	long sip_t38_max_datagram;
	long sip_media_memory;

	/* mailgate: received faxes to mail */
	char *inbound_routes;
	bool inbound_ldap;
	long inbound_match_digits;
	char *inbound_catchall;
	bool inbound_attach_tiff;
	bool inbound_preview;
	long inbound_preview_width;

	/* mailgate: mail it sends, and how */
	char *mail_from;
	char *mail_template_dir;
	char *smtp_relay;
	char *smtp_helo;
	int smtp_starttls; /* enum conf_starttls */
	char *smtp_auth_user;
	char *smtp_auth_password_file;
	long smtp_timeout;
	long smtp_retry_min;
	long smtp_retry_max;
	long smtp_give_up;
	long mailgate_poll;

	/* mailgate: notices to senders */
	char *notify_default;
	long notify_delay_after;
	bool notify_attach_pdf;

	/* mailgate: alerts to admins */
	char *alert_to;
	long alert_repeat;
	long alert_max_per_hour;
	long alert_queue_age;
	long alert_disk_free_pct;
	bool alert_daily_summary;
	long alert_summary_hour;

	/* keeping */
	long archive_days;
	long purge_days;
};

extern const struct cfg_key conf_keys[];

/* The file used when none is given: $FAXGATE_CONF, else FAXGATE_SYSCONFDIR "/faxgate.conf". */
const char *conf_default_path(void);
/* Defaults, then the file at path (NULL: defaults only). Returns 0 or -1 with the problem in err. */
int conf_load(struct conf *c, const char *path, struct buf *err);
void conf_free(struct conf *c);
/* Open the log as configured; tools pass to_stderr so their messages reach the terminal. */
void conf_log_open(const struct conf *c, const char *ident, bool to_stderr);

#endif
