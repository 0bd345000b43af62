/*
 * chunked.h: ending an evhttp chunked reply only once its bytes have left.
 */
#ifndef MAAS_SBX_CHUNKED_H
#define MAAS_SBX_CHUNKED_H

struct evhttp_request;

/*
 * End the chunked reply r (evhttp_send_reply_start was called) after
 * everything queued on its connection has been written; takes the
 * connection's close callback over until then.  The caller must not touch
 * r afterwards.
 */
void	 chunked_end(struct evhttp_request *r);

#endif
