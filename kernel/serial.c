// SPDX-License-Identifier: GPL-2.0
/*
 * Serial ports: a line discipline turns a tty into an m2mgw port.
 *
 * Two ways in:
 *  - PORT_NEW with M2MGW_A_TTY: the module opens the tty itself
 *    (tty_kopen_exclusive(), as speakup does), sets its termios and
 *    attaches the line discipline; PORT_DEL puts N_TTY back and closes it.
 *  - TIOCSETD on an fd someone holds (ldattach-style): the line
 *    discipline's open() creates a port named after the tty, announced
 *    with a PORT_NEW event.  Setting another line discipline or closing
 *    the last fd removes the port again (PORT_DEL event).
 * A hangup (pty master closed, USB-serial unplugged) detaches the line
 * discipline either way; the port becomes GONE until PORT_DEL.
 *
 * Line discipline callbacks run with the tty's locks held, and port
 * changes take rtnl_lock() and m2mgw_ports_lock, which the netlink path
 * holds while it takes the tty's locks: so open() and close() never
 * create, change or destroy ports themselves but leave that to
 * m2mgw_serial_work(), on an ordered workqueue.
 *
 * struct m2mgw_serial is shared by the tty (tty->disc_data, while the
 * line discipline is attached), the port (port->priv) and the pending
 * work; each holds a reference.
 */

#include <linux/capability.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_ldisc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "port.h"
#include "serial.h"
#include "trace.h"

int m2mgw_serial_ldisc = N_DEVELOPMENT;
module_param_named(ldisc, m2mgw_serial_ldisc, int, 0444);
MODULE_PARM_DESC(ldisc, "line discipline number (default 29, N_DEVELOPMENT)");

static struct workqueue_struct *m2mgw_serial_wq;

/*
 * The attach in progress from PORT_NEW: its tty_set_ldisc() calls our
 * open() synchronously in the same thread, which finds its state here.
 * Written under m2mgw_ports_lock.
 */
struct m2mgw_serial_attach m2mgw_serial_attach;

static void m2mgw_serial_release(struct kref *ref)
{
	kfree(container_of(ref, struct m2mgw_serial, ref));
}

void m2mgw_serial_put(struct m2mgw_serial *s)
{
	kref_put(&s->ref, m2mgw_serial_release);
}

/* Framer results, under s->lock. */
static void m2mgw_serial_frame(void *ctx, u64 tstamp_ns, const u8 *data,
			       u32 len)
{
	struct m2mgw_serial *s = ctx;

	m2mgw_port_capture(s->port, M2MGW_REC_SERIAL, M2MGW_RECF_TS_FIRST_BYTE,
			   tstamp_ns, data, len, len);
}

static void m2mgw_serial_drop(void *ctx, enum m2mgw_drop_reason reason,
			      u32 count)
{
	struct m2mgw_serial *s = ctx;

	m2mgw_port_drop(s->port, reason, count);
}

void m2mgw_serial_sink(struct m2mgw_serial *s, struct m2mgw_framer_sink *sink)
{
	sink->frame = m2mgw_serial_frame;
	sink->drop = m2mgw_serial_drop;
	sink->ctx = s;
}

/* Frames can be delivered: under s->lock. */
bool m2mgw_serial_live(const struct m2mgw_serial *s)
{
	return s->port && !s->deleted && READ_ONCE(s->port->enabled);
}

static void m2mgw_serial_kick(struct m2mgw_serial *s)
{
	u64 t = s->fr.last_mono + s->fr.gap_ns + s->fr.hold_ns;

	if (s->fr.gap_ns && (s->fr.len || s->fr.discard))
		hrtimer_start(&s->timer, ns_to_ktime(t), HRTIMER_MODE_ABS_SOFT);
}

static enum hrtimer_restart m2mgw_serial_timer(struct hrtimer *t)
{
	struct m2mgw_serial *s = container_of(t, struct m2mgw_serial, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	struct m2mgw_framer_sink sink;
	u64 again;

	m2mgw_serial_sink(s, &sink);
	spin_lock(&s->lock);
	if (m2mgw_serial_live(s)) {
		again = m2mgw_framer_expire(&s->fr, ktime_get_ns(), &sink);
		if (again) {
			hrtimer_set_expires(t, ns_to_ktime(again));
			ret = HRTIMER_RESTART;
		}
	}
	spin_unlock(&s->lock);
	return ret;
}

/* Read the line format from termios (TIOCSETD attach, set_termios). */
void m2mgw_serial_line_from_tty(struct tty_struct *tty, struct m2mgw_line *line)
{
	tcflag_t cflag = tty->termios.c_cflag;

	line->baud = tty_get_baud_rate(tty);
	switch (cflag & CSIZE) {
	case CS5:
		line->data_bits = 5;
		break;
	case CS6:
		line->data_bits = 6;
		break;
	case CS7:
		line->data_bits = 7;
		break;
	default:
		line->data_bits = 8;
		break;
	}
	line->parity = !(cflag & PARENB) ? M2MGW_PARITY_NONE :
		       (cflag & PARODD)	 ? M2MGW_PARITY_ODD :
					   M2MGW_PARITY_EVEN;
	line->stop_bits = cflag & CSTOPB ? 2 : 1;
	line->rx_hold = m2mgw_serial_rx_hold(tty);
}

/* UARTs (serial core, USB serial) hand bytes over through a FIFO. */
u8 m2mgw_serial_rx_hold(struct tty_struct *tty)
{
	return tty->driver->type == TTY_DRIVER_TYPE_SERIAL ? 4 : 0;
}

static void m2mgw_serial_work(struct work_struct *work);

struct m2mgw_serial *m2mgw_serial_alloc(void)
{
	struct m2mgw_serial *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return NULL;
	kref_init(&s->ref);
	spin_lock_init(&s->lock);
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	s->timer.function = m2mgw_serial_timer;
	init_waitqueue_head(&s->tx_wait);
	mutex_init(&s->tx_lock);
	INIT_WORK(&s->work, m2mgw_serial_work);
	s->fr.cfg.framing = M2MGW_FRAMING_RAW;
	s->fr.cfg.maxlen = M2MGW_SERIAL_MAXLEN;
	return s;
}

static void m2mgw_serial_queue(struct m2mgw_serial *s)
{
	kref_get(&s->ref);
	if (!queue_work(m2mgw_serial_wq, &s->work))
		m2mgw_serial_put(s);
}

u32 m2mgw_serial_state(const struct m2mgw_serial *s, bool enabled)
{
	if (!s->tty)
		return M2MGW_STATE_GONE;
	return enabled ? M2MGW_STATE_UP : M2MGW_STATE_DOWN;
}

/*
 * A tty given the line discipline again (TIOCSETD) after a hangup, or a
 * new tty that reuses the name of one that went away (pty numbers are
 * recycled): the old port of a TIOCSETD attach is gone for good and only
 * holds the name, so it makes way.  A gone port that PORT_NEW created
 * stays until PORT_DEL, as its creator asked for it by name.
 */
static void m2mgw_serial_replace_gone(const char *name)
{
	struct m2mgw_port *old = m2mgw_port_by_name(&init_net, name);
	struct m2mgw_serial *os;

	if (!old || old->ops != &m2mgw_serial_ops ||
	    READ_ONCE(old->state) != M2MGW_STATE_GONE)
		return;
	os = old->priv;
	if (!os->user)
		return;
	m2mgw_nl_port_event(old, M2MGW_CMD_PORT_DEL);
	m2mgw_port_del(old);
}

/* Events of the line discipline, with the port locks. */
static void m2mgw_serial_work(struct work_struct *work)
{
	struct m2mgw_serial *s = container_of(work, struct m2mgw_serial, work);
	struct m2mgw_port *port;
	bool publish, closed, hungup;

	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	spin_lock_bh(&s->lock);
	publish = s->ev_publish;
	closed = s->ev_closed;
	hungup = s->hungup;
	s->ev_publish = false;
	s->ev_closed = false;
	spin_unlock_bh(&s->lock);

	if (publish && !closed && !s->port) {
		/* The port's reference; given back by m2mgw_serial_free(). */
		m2mgw_serial_replace_gone(s->name);
		kref_get(&s->ref);
		port = m2mgw_port_new_attached(&init_net, &m2mgw_serial_ops,
					       s->name, s);
		if (IS_ERR(port)) {
			pr_warn("%s: no port for this tty: %ld\n", s->name,
				PTR_ERR(port));
			m2mgw_serial_put(s);
		} else {
			spin_lock_bh(&s->lock);
			s->port = port;
			spin_unlock_bh(&s->lock);
			/* Not announced yet: no PORT_STATE event before NEW. */
			WRITE_ONCE(port->state, m2mgw_serial_state(s, true));
			m2mgw_nl_port_event(port, M2MGW_CMD_PORT_NEW);
		}
	}
	if (closed && s->port && !s->deleted) {
		port = s->port;
		if (s->user && !hungup) {
			m2mgw_nl_port_event(port, M2MGW_CMD_PORT_DEL);
			m2mgw_port_del(port);
		} else {
			m2mgw_port_set_state(port, M2MGW_STATE_GONE);
		}
	}
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
	m2mgw_serial_put(s);
}

/* --- line discipline ----------------------------------------------- */

static int m2mgw_ldisc_open(struct tty_struct *tty)
{
	struct m2mgw_framer_sink sink;
	struct m2mgw_serial *s;

	if (!tty->ops->write)
		return -EOPNOTSUPP;
	if (READ_ONCE(m2mgw_serial_attach.tty) == tty) {
		s = m2mgw_serial_attach.s;
		kref_get(&s->ref);
	} else {
		/*
		 * TIOCSETD from userspace: a port of its own.  Anyone who can
		 * open a tty may ask, but creating ports takes CAP_NET_ADMIN
		 * over netlink, and takes it here too (as SLIP and slcan do).
		 */
		if (!capable(CAP_NET_ADMIN))
			return -EPERM;
		s = m2mgw_serial_alloc();
		if (!s)
			return -ENOMEM;
		s->user = true;
		tty_kref_get(tty);
		strscpy(s->name, tty->name, sizeof(s->name));
		s->devt = tty_devnum(tty);
		down_read(&tty->termios_rwsem);
		m2mgw_serial_line_from_tty(tty, &s->line);
		up_read(&tty->termios_rwsem);
		m2mgw_serial_sink(s, &sink);
		m2mgw_framer_config(&s->fr, &s->fr.cfg, &s->line, &sink);
		s->ev_publish = true;
	}
	spin_lock_bh(&s->lock);
	WRITE_ONCE(s->tty, tty);
	spin_unlock_bh(&s->lock);
	tty->disc_data = s;
	tty->receive_room = 65536;
	if (s->user)
		m2mgw_serial_queue(s);
	return 0;
}

static void m2mgw_ldisc_close(struct tty_struct *tty)
{
	struct m2mgw_serial *s = tty->disc_data;
	struct m2mgw_framer_sink sink;
	bool queue;

	if (!s)
		return;
	/* No receive_buf() runs now: the ldisc is being torn down. */
	hrtimer_cancel(&s->timer);
	m2mgw_serial_sink(s, &sink);
	spin_lock_bh(&s->lock);
	if (m2mgw_serial_live(s))
		m2mgw_framer_flush(&s->fr, &sink);
	else
		m2mgw_framer_reset(&s->fr);
	WRITE_ONCE(s->tty, NULL);
	queue = !s->deleted && (s->port || s->user);
	s->ev_closed = true;
	spin_unlock_bh(&s->lock);
	tty->disc_data = NULL;
	wake_up_all(&s->tx_wait);
	if (queue)
		m2mgw_serial_queue(s);
	if (s->user)
		tty_kref_put(tty);
	m2mgw_serial_put(s);
}

static void m2mgw_ldisc_hangup(struct tty_struct *tty)
{
	struct m2mgw_serial *s = tty->disc_data;

	if (!s)
		return;
	spin_lock_bh(&s->lock);
	WRITE_ONCE(s->hungup, true);
	spin_unlock_bh(&s->lock);
	wake_up_all(&s->tx_wait);
}

static void m2mgw_ldisc_receive_buf(struct tty_struct *tty,
				    const unsigned char *cp,
				    const M2MGW_TTY_FLAG *fp,
				    M2MGW_TTY_COUNT count)
{
	struct m2mgw_serial *s = tty->disc_data;
	u64 now_real = ktime_get_real_ns(), now_mono = ktime_get_ns();
	struct m2mgw_framer_sink sink;

	if (!s || !count)
		return;
	m2mgw_serial_sink(s, &sink);
	spin_lock_bh(&s->lock);
	if (m2mgw_serial_live(s)) {
		m2mgw_framer_input(&s->fr, cp, (const u8 *)fp, count, now_real,
				   now_mono, &sink);
		m2mgw_serial_kick(s);
	}
	spin_unlock_bh(&s->lock);
}

static void m2mgw_ldisc_write_wakeup(struct tty_struct *tty)
{
	struct m2mgw_serial *s = tty->disc_data;

	clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	if (s)
		wake_up_all(&s->tx_wait);
}

/* termios_rwsem is held for writing: tty->termios is the new one. */
static void m2mgw_ldisc_set_termios(struct tty_struct *tty,
				    const struct ktermios *old)
{
	struct m2mgw_serial *s = tty->disc_data;
	struct m2mgw_framer_sink sink;
	struct m2mgw_line line;

	if (!s)
		return;
	m2mgw_serial_line_from_tty(tty, &line);
	m2mgw_serial_sink(s, &sink);
	spin_lock_bh(&s->lock);
	s->line = line;
	if (!m2mgw_serial_live(s))
		m2mgw_framer_reset(&s->fr);
	m2mgw_framer_config(&s->fr, &s->fr.cfg, &s->line, &sink);
	spin_unlock_bh(&s->lock);
}

/*
 * termios ioctls (tcsetattr, tcflush, tcflow) as on any raw tty.  Not
 * tty_perform_flush(): the ioctl runs with an ldisc reference held, and
 * taking a second one waits behind a writer (TIOCSETD, hangup) that waits
 * for the first.  n_tty_ioctl_helper() flushes without one.
 */
static int m2mgw_ldisc_ioctl(struct tty_struct *tty, unsigned int cmd,
			     unsigned long arg)
{
	return n_tty_ioctl_helper(tty, cmd, arg);
}

struct tty_ldisc_ops m2mgw_ldisc_ops = {
	.owner = THIS_MODULE,
	.name = "m2mgw",
	.open = m2mgw_ldisc_open,
	.close = m2mgw_ldisc_close,
	.hangup = m2mgw_ldisc_hangup,
	.ioctl = m2mgw_ldisc_ioctl,
	.receive_buf = m2mgw_ldisc_receive_buf,
	.write_wakeup = m2mgw_ldisc_write_wakeup,
	.set_termios = m2mgw_ldisc_set_termios,
};

int __init m2mgw_serial_init(void)
{
	int err;

	if (m2mgw_serial_ldisc < 0 || m2mgw_serial_ldisc >= NR_LDISCS) {
		pr_err("ldisc=%d: not a line discipline number\n",
		       m2mgw_serial_ldisc);
		return -EINVAL;
	}
	m2mgw_serial_wq = alloc_ordered_workqueue("m2mgw_serial", 0);
	if (!m2mgw_serial_wq)
		return -ENOMEM;
	m2mgw_ldisc_ops.num = m2mgw_serial_ldisc;
	err = tty_register_ldisc(&m2mgw_ldisc_ops);
	if (err) {
		pr_err("cannot register line discipline %d: %d\n",
		       m2mgw_serial_ldisc, err);
		destroy_workqueue(m2mgw_serial_wq);
	}
	return err;
}

/*
 * Module exit, before netlink goes: every attached line discipline holds
 * a module reference, so none is attached now; what is left is work
 * queued by the last close()s, which may still send events.
 */
void m2mgw_serial_exit(void)
{
	tty_unregister_ldisc(&m2mgw_ldisc_ops);
	destroy_workqueue(m2mgw_serial_wq);
}
