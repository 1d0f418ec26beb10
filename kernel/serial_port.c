// SPDX-License-Identifier: GPL-2.0
/*
 * Serial ports, the port side: PORT_NEW opens a tty in the kernel and
 * attaches the line discipline (serial.c), PORT_SET reframes, PORT_DEL
 * restores N_TTY and closes the tty, and records written to /dev/m2mgw go
 * out through the tty driver with flow control.
 */

#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_ldisc.h>

#include "port.h"
#include "serial.h"
#include "trace.h"

static struct m2mgw_serial *m2mgw_serial(const struct m2mgw_port *port)
{
	return port->priv;
}

/* Apply the attributes of a request to copies of the current config. */
static int m2mgw_serial_parse(struct genl_info *info, struct m2mgw_line *line,
			      struct m2mgw_framing_cfg *cfg)
{
	struct nlattr **a = info->attrs;
	const char *why;
	int err;

	if (a[M2MGW_A_SERIAL_BAUD])
		line->baud = nla_get_u32(a[M2MGW_A_SERIAL_BAUD]);
	if (a[M2MGW_A_SERIAL_DATA_BITS])
		line->data_bits = nla_get_u8(a[M2MGW_A_SERIAL_DATA_BITS]);
	if (a[M2MGW_A_SERIAL_PARITY])
		line->parity = nla_get_u8(a[M2MGW_A_SERIAL_PARITY]);
	if (a[M2MGW_A_SERIAL_STOP_BITS])
		line->stop_bits = nla_get_u8(a[M2MGW_A_SERIAL_STOP_BITS]);
	if (a[M2MGW_A_SERIAL_FRAMING])
		cfg->framing = nla_get_u32(a[M2MGW_A_SERIAL_FRAMING]);
	if (a[M2MGW_A_SERIAL_FRAMING_ARG])
		cfg->arg = nla_get_u32(a[M2MGW_A_SERIAL_FRAMING_ARG]);
	if (a[M2MGW_A_SERIAL_MAXLEN])
		cfg->maxlen = nla_get_u32(a[M2MGW_A_SERIAL_MAXLEN]);
	err = m2mgw_framing_check(cfg, &why);
	/* why is a string literal, as NL_SET_ERR_MSG() requires. */
	if (err && info->extack)
		info->extack->_msg = why;
	return err;
}

static bool m2mgw_serial_line_changed(struct genl_info *info)
{
	struct nlattr **a = info->attrs;

	return a[M2MGW_A_SERIAL_BAUD] || a[M2MGW_A_SERIAL_DATA_BITS] ||
	       a[M2MGW_A_SERIAL_PARITY] || a[M2MGW_A_SERIAL_STOP_BITS];
}

/*
 * Raw mode in the line's format.  Parity errors are reported to the
 * line discipline as TTY_PARITY flags (INPCK without IGNPAR/PARMRK).
 */
static int m2mgw_serial_termios(struct tty_struct *tty,
				const struct m2mgw_line *line)
{
	static const tcflag_t csize[] = { CS5, CS6, CS7, CS8 };
	struct ktermios kt;

	down_read(&tty->termios_rwsem);
	kt = tty->termios;
	up_read(&tty->termios_rwsem);
	kt.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			ICRNL | IXON | IXOFF | IXANY | IGNPAR | INPCK);
	kt.c_oflag &= ~OPOST;
	kt.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	kt.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	kt.c_cflag |= csize[line->data_bits - 5] | CREAD | CLOCAL;
	if (line->parity != M2MGW_PARITY_NONE) {
		kt.c_cflag |= PARENB;
		kt.c_iflag |= INPCK;
	}
	if (line->parity == M2MGW_PARITY_ODD)
		kt.c_cflag |= PARODD;
	if (line->stop_bits == 2)
		kt.c_cflag |= CSTOPB;
	kt.c_cc[VMIN] = 1;
	kt.c_cc[VTIME] = 0;
	tty_termios_encode_baud_rate(&kt, line->baud, line->baud);
	return tty_set_termios(tty, &kt);
}

/* The driver may round the baud rate; more than 2% off is refused. */
static bool m2mgw_serial_baud_ok(struct tty_struct *tty, u32 baud)
{
	u32 got = tty_get_baud_rate(tty);

	return (u64)abs((s64)got - baud) * 50 <= baud;
}

/*
 * Close a tty opened by m2mgw_serial_create(), as speakup does.  Output
 * still queued in the driver is discarded first: the port is being
 * deleted, and the driver's close would otherwise wait for it to drain
 * (tty_port_close_start(): up to closing_wait, 30 s by default, for ever
 * on a line stopped by flow control) while our caller holds RTNL.
 */
static void m2mgw_serial_kclose(struct tty_struct *tty)
{
	tty_driver_flush_buffer(tty);
	tty_lock(tty);
	if (tty->ops->close)
		tty->ops->close(tty, NULL);
	tty_unlock(tty);
	tty_kclose(tty);
}

static struct tty_struct *m2mgw_serial_kopen(struct genl_info *info, dev_t devt)
{
	struct tty_struct *tty;
	int err;

	tty = tty_kopen_exclusive(devt);
	if (IS_ERR(tty)) {
		NL_SET_ERR_MSG(info->extack, "cannot open the tty");
		if (PTR_ERR(tty) == -EBUSY)
			NL_SET_ERR_MSG(info->extack, "the tty is in use");
		/* Ptys are looked up through a file, which we do not have. */
		if (PTR_ERR(tty) == -EIO)
			NL_SET_ERR_MSG(info->extack,
				       "no kernel open: use TIOCSETD");
		return tty;
	}
	/* tty_kopen_exclusive() returns it locked and not yet opened. */
	err = tty->ops->open ? tty->ops->open(tty, NULL) : -ENODEV;
	if (err) {
		tty_unlock(tty);
		tty_kclose(tty);
		NL_SET_ERR_MSG(info->extack, "the tty driver cannot open it");
		return ERR_PTR(err);
	}
	clear_bit(TTY_HUPPED, &tty->flags);
	tty_unlock(tty);
	return tty;
}

static int m2mgw_serial_create(struct m2mgw_port *port, struct genl_info *info)
{
	struct nlattr *ttyname = info->attrs[M2MGW_A_TTY];
	struct m2mgw_framing_cfg cfg = {
		.framing = M2MGW_FRAMING_RAW,
		.maxlen = M2MGW_SERIAL_MAXLEN,
	};
	struct m2mgw_line line = {
		.baud = 9600,
		.data_bits = 8,
		.parity = M2MGW_PARITY_NONE,
		.stop_bits = 1,
	};
	struct m2mgw_framer_sink sink;
	struct tty_struct *tty;
	struct m2mgw_serial *s;
	struct m2mgw_port *p;
	unsigned long idx = 0;
	dev_t devt;
	int err;

	if (!ttyname) {
		NL_SET_ERR_MSG(info->extack, "a serial port needs a tty");
		return -EINVAL;
	}
	err = m2mgw_serial_parse(info, &line, &cfg);
	if (err)
		return err;
	if (tty_dev_name_to_number(nla_data(ttyname), &devt)) {
		NL_SET_ERR_MSG_ATTR(info->extack, ttyname, "no such tty");
		return -ENODEV;
	}
	while ((p = m2mgw_port_next(port->net, &idx))) {
		idx++;
		if (p->ops == &m2mgw_serial_ops &&
		    m2mgw_serial(p)->devt == devt) {
			NL_SET_ERR_MSG_ATTR(info->extack, ttyname,
					    "a port already captures this tty");
			return -EEXIST;
		}
	}

	s = m2mgw_serial_alloc();
	if (!s)
		return -ENOMEM;
	/* From here the port owns s: m2mgw_serial_free() puts it. */
	port->priv = s;
	s->port = port;
	s->devt = devt;
	nla_strscpy(s->name, ttyname, sizeof(s->name));

	tty = m2mgw_serial_kopen(info, devt);
	if (IS_ERR(tty))
		return PTR_ERR(tty);
	err = m2mgw_serial_termios(tty, &line);
	if (!err && !m2mgw_serial_baud_ok(tty, line.baud)) {
		NL_SET_ERR_MSG(info->extack,
			       "the tty cannot do this baud rate");
		err = -EINVAL;
	}
	if (err)
		goto err_close;
	line.rx_hold = m2mgw_serial_rx_hold(tty);
	s->line = line;
	m2mgw_serial_sink(s, &sink);
	m2mgw_framer_config(&s->fr, &cfg, &line, &sink);

	/* Our open() finds s here: see m2mgw_ldisc_open(). */
	m2mgw_serial_attach.s = s;
	WRITE_ONCE(m2mgw_serial_attach.tty, tty);
	err = tty_set_ldisc(tty, m2mgw_serial_ldisc);
	WRITE_ONCE(m2mgw_serial_attach.tty, NULL);
	if (err) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot attach the m2mgw line discipline");
		goto err_close;
	}
	s->ktty = tty;
	if (!port->name[0])
		strscpy(port->name, s->name, sizeof(port->name));
	port->state = m2mgw_serial_state(s, port->enabled);
	return 0;

err_close:
	m2mgw_serial_kclose(tty);
	return err;
}

static void m2mgw_serial_destroy(struct m2mgw_port *port)
{
	struct m2mgw_serial *s = m2mgw_serial(port);
	struct tty_struct *tty;

	spin_lock_bh(&s->lock);
	s->deleted = true;
	tty = s->tty ? tty_kref_get(s->tty) : NULL;
	spin_unlock_bh(&s->lock);
	if (tty) {
		/*
		 * Our close() runs inside; if this fails (hung up meanwhile)
		 * the ldisc stays but captures nothing (s->deleted).
		 */
		tty_set_ldisc(tty, N_TTY);
		tty_kref_put(tty);
	}
	hrtimer_cancel(&s->timer);
	wake_up_all(&s->tx_wait);
	if (s->ktty) {
		m2mgw_serial_kclose(s->ktty);
		s->ktty = NULL;
	}
}

/* RCU callback: the port is gone and no capture path can see it. */
static void m2mgw_serial_free(void *priv)
{
	if (priv)
		m2mgw_serial_put(priv);
}

static int m2mgw_serial_set(struct m2mgw_port *port, struct genl_info *info)
{
	struct m2mgw_serial *s = m2mgw_serial(port);
	struct m2mgw_framer_sink sink;
	struct m2mgw_line line, old;
	struct m2mgw_framing_cfg cfg;
	struct tty_struct *tty;
	int err;

	spin_lock_bh(&s->lock);
	cfg = s->fr.cfg;
	line = s->line;
	spin_unlock_bh(&s->lock);
	old = line;
	err = m2mgw_serial_parse(info, &line, &cfg);
	if (err)
		return err;
	if (m2mgw_serial_line_changed(info)) {
		spin_lock_bh(&s->lock);
		tty = s->tty ? tty_kref_get(s->tty) : NULL;
		spin_unlock_bh(&s->lock);
		if (!tty) {
			NL_SET_ERR_MSG(info->extack, "the port's tty is gone");
			return -ENODEV;
		}
		/* Our set_termios() takes the new line format. */
		err = m2mgw_serial_termios(tty, &line);
		if (!err && !m2mgw_serial_baud_ok(tty, line.baud)) {
			NL_SET_ERR_MSG(info->extack,
				       "the tty cannot do this baud rate");
			m2mgw_serial_termios(tty, &old);
			err = -EINVAL;
		}
		tty_kref_put(tty);
		if (err)
			return err;
	}
	m2mgw_serial_sink(s, &sink);
	spin_lock_bh(&s->lock);
	if (!m2mgw_serial_live(s))
		m2mgw_framer_reset(&s->fr);
	m2mgw_framer_config(&s->fr, &cfg, &s->line, &sink);
	spin_unlock_bh(&s->lock);
	return 0;
}

static int m2mgw_serial_fill(struct sk_buff *skb, const struct m2mgw_port *port)
{
	struct m2mgw_serial *s = m2mgw_serial(port);
	struct m2mgw_framing_cfg cfg;
	struct m2mgw_line line;

	spin_lock_bh(&s->lock);
	cfg = s->fr.cfg;
	line = s->line;
	spin_unlock_bh(&s->lock);
	if (nla_put_string(skb, M2MGW_A_TTY, s->name) ||
	    nla_put_u32(skb, M2MGW_A_SERIAL_BAUD, line.baud) ||
	    nla_put_u8(skb, M2MGW_A_SERIAL_DATA_BITS, line.data_bits) ||
	    nla_put_u8(skb, M2MGW_A_SERIAL_PARITY, line.parity) ||
	    nla_put_u8(skb, M2MGW_A_SERIAL_STOP_BITS, line.stop_bits) ||
	    nla_put_u32(skb, M2MGW_A_SERIAL_FRAMING, cfg.framing) ||
	    nla_put_u32(skb, M2MGW_A_SERIAL_FRAMING_ARG, cfg.arg) ||
	    nla_put_u32(skb, M2MGW_A_SERIAL_MAXLEN, cfg.maxlen))
		return -EMSGSIZE;
	return 0;
}

static void m2mgw_serial_enable(struct m2mgw_port *port)
{
	m2mgw_port_set_state(port, m2mgw_serial_state(m2mgw_serial(port),
						      port->enabled));
}

static int m2mgw_serial_tx_check(struct m2mgw_port *port,
				 const struct m2mgw_rec *rec, u32 len)
{
	if (rec->type != M2MGW_REC_SERIAL || !len || len > M2MGW_SERIAL_MAXLEN)
		return -EINVAL;
	return READ_ONCE(m2mgw_serial(port)->tty) ? 0 : -ENETDOWN;
}

static bool m2mgw_tx_ready(struct m2mgw_serial *s, struct tty_struct *tty)
{
	return !test_bit(TTY_DO_WRITE_WAKEUP, &tty->flags) ||
	       !READ_ONCE(s->tty) || READ_ONCE(s->hungup);
}

/*
 * Woken by write_wakeup(), close(), hangup(); re-checks every second.
 * Once part of the record is out, only a fatal signal ends the wait: any
 * other would restart the write() and send the record again from its
 * first byte, or (without SA_RESTART) leave half a record on the line.
 */
static long m2mgw_serial_tx_wait(struct m2mgw_serial *s, struct tty_struct *tty,
				 bool started)
{
	if (started)
		return wait_event_killable_timeout(s->tx_wait,
						   m2mgw_tx_ready(s, tty), HZ);
	return wait_event_interruptible_timeout(s->tx_wait,
						m2mgw_tx_ready(s, tty), HZ);
}

/*
 * Write all of @len bytes, as the tty makes room.  With @nonblock a record
 * that does not fit at once is refused with -EAGAIN before anything is
 * written, so records never go out in part.
 */
static int m2mgw_serial_write(struct m2mgw_serial *s, struct tty_struct *tty,
			      const u8 *p, u32 len, bool nonblock)
{
	struct tty_ldisc *ld;
	unsigned int room;
	u32 left = len;
	long n;

	while (left) {
		/* The ldisc reference keeps close() and hangup out. */
		ld = tty_ldisc_ref(tty);
		if (!ld)
			return -ENETDOWN;
		if (ld->ops != &m2mgw_ldisc_ops || READ_ONCE(s->hungup)) {
			tty_ldisc_deref(ld);
			return -ENETDOWN;
		}
		room = tty_write_room(tty);
		if (nonblock && left == len && room < len) {
			tty_ldisc_deref(ld);
			return -EAGAIN;
		}
		n = 0;
		if (room) {
			n = tty->ops->write(tty, p, min(room, left));
			if (n < 0) {
				tty_ldisc_deref(ld);
				return n;
			}
		}
		if (!n)
			set_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
		tty_ldisc_deref(ld);
		p += n;
		left -= n;
		if (n)
			continue;
		if (m2mgw_serial_tx_wait(s, tty, left < len) < 0)
			return -ERESTARTSYS;
	}
	return len;
}

static int m2mgw_serial_tx(struct m2mgw_port *port, const struct m2mgw_rec *rec,
			   u32 len, bool nonblock)
{
	struct m2mgw_serial *s = m2mgw_serial(port);
	struct tty_struct *tty;
	int ret;

	if (nonblock) {
		if (!mutex_trylock(&s->tx_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&s->tx_lock)) {
		return -ERESTARTSYS;
	}
	spin_lock_bh(&s->lock);
	tty = s->tty ? tty_kref_get(s->tty) : NULL;
	spin_unlock_bh(&s->lock);
	if (tty) {
		ret = m2mgw_serial_write(s, tty, rec->data, len, nonblock);
		tty_kref_put(tty);
	} else {
		ret = -ENETDOWN;
	}
	mutex_unlock(&s->tx_lock);
	trace_tx(rec, 0, ret < 0 ? ret : 0);
	return ret;
}

const struct m2mgw_port_ops m2mgw_serial_ops = {
	.type = M2MGW_PORT_SERIAL,
	.create = m2mgw_serial_create,
	.destroy = m2mgw_serial_destroy,
	.free = m2mgw_serial_free,
	.set = m2mgw_serial_set,
	.fill = m2mgw_serial_fill,
	.enable = m2mgw_serial_enable,
	.tx_check = m2mgw_serial_tx_check,
	.tx = m2mgw_serial_tx,
};
