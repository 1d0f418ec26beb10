/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MQTT side of the downlink (downlink_mqtt.c): an MQTT output with
 * command_topic subscribes to it on every connect and answers each
 * command.  output_mqtt.c calls these; libmosquitto callbacks only queue
 * (dl_mqtt_message), the work runs in dl_mqtt_run() after the library
 * call returned, like the rest of that file.
 */
#ifndef M2MGWD_DOWNLINK_MQTT_H
#define M2MGWD_DOWNLINK_MQTT_H

#include <mosquitto.h>

struct output;
struct dl_mqtt;

/* NULL when the output has no command_topic. */
struct dl_mqtt *dl_mqtt_new(struct output *o);
void dl_mqtt_free(struct dl_mqtt *d);
/* CONNACK: subscribe (again; every connection is a clean session). */
void dl_mqtt_connected(struct dl_mqtt *d);
/* on_message callback: keep a copy for dl_mqtt_run(). */
void dl_mqtt_message(struct dl_mqtt *d, const struct mosquitto_message *msg,
		     const mosquitto_property *props);
/* Subscribe if due, carry out queued commands, publish the replies. */
int dl_mqtt_run(struct dl_mqtt *d, struct mosquitto *mosq);

#endif /* M2MGWD_DOWNLINK_MQTT_H */
