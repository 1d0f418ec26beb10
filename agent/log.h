/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging to stderr with levels.  Under systemd (JOURNAL_STREAM set) each
 * line starts with the sd-daemon "<N>" priority prefix so journald keeps
 * the level; on a terminal it gets a time stamp and the level name.
 */
#ifndef M2MGWD_LOG_H
#define M2MGWD_LOG_H

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

extern int log_max_level;

void log_init(void);
/* "error", "warn", "notice", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_max_level >= LOG_LVL_DEBUG)          \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif /* M2MGWD_LOG_H */
