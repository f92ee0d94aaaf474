/* libFuzzer target: protobuf-c unpack of a blob as any message of any
 * schema in state/proto. The first byte picks the message type; the rest
 * is the blob. What unpacks must pack and unpack again. tools/fuzz
 * generates pb_descs.h, the list of every message descriptor, from the
 * generated headers, so a new schema is fuzzed with no change here. */
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "pb_descs.h"	/* PB_DESCS: a comma-separated list of descriptor addresses */

static const ProtobufCMessageDescriptor *const descs[] = { PB_DESCS };

/* Whether m or a message inside it kept unknown fields. protobuf-c keeps
 * them verbatim without judging them: it accepts field number 0 when the
 * tag is spelled in two bytes (81 00) and packs it back as 01, which it
 * then refuses. Such input proves nothing about our schemas, so the round
 * trip is only required without unknown fields. */
static bool has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields)
		return true;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *member = (const char *)m + f->offset;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* The member is a union: only the chosen case is a message. */
			if (*(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)member;

			for (size_t k = 0; k < n; k++)
				if (v[k] && has_unknown(v[k]))
					return true;
		} else {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;

			if (sub && has_unknown(sub))
				return true;
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *msg, *again;
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	d = descs[data[0] % (sizeof(descs) / sizeof(descs[0]))];
	msg = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
	if (!msg)
		return 0;
	len = protobuf_c_message_get_packed_size(msg);
	buf = malloc(len ? len : 1);
	if (!buf)
		__builtin_trap();
	if (protobuf_c_message_pack(msg, buf) != len)
		__builtin_trap();
	again = protobuf_c_message_unpack(d, NULL, len, buf);
	if (!again && !has_unknown(msg))
		__builtin_trap();
	if (again)
		protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(msg, NULL);
	free(buf);
	return 0;
}
