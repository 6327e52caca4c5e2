#!/bin/sh
# Starts Postfix for docker-compose.yml from the environment (see .env.example):
#   MAIL_DOMAIN, MAIL_HOSTNAME                   the service's domain and this MX's name
#   MAILBOX                                      the service's local part (mentorship): the
#                                                only mailbox of the domain, tags and all
#   RELAY_HOST, RELAY_PORT, RELAY_USER, RELAY_PASSWORD
#                                                a smarthost; unset: direct delivery, DKIM-signed
#   DKIM_SELECTOR                                the selector of the DKIM key made in /dkim
#   ADDRESS_DELIMITER                            the worker's MENTORMAIL_ADDRESS_DELIMITER
# Certificates for MAIL_HOSTNAME are read from /certs/fullchain.pem and /certs/privkey.pem.
set -eu
: "${MAIL_DOMAIN:?set MAIL_DOMAIN in .env}" "${MAIL_HOSTNAME:?set MAIL_HOSTNAME in .env}"

# The lines every deployment needs for the service's mailbox (plus-addressing, LMTP, UTF-8),
# the same ones the tests run.
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  postconf -e "$line"
done < /etc/postfix/mentormail-main.cf

postconf -e \
  "myhostname = $MAIL_HOSTNAME" \
  "mydomain = $MAIL_DOMAIN" \
  "myorigin = $MAIL_DOMAIN" \
  "mydestination =" \
  "virtual_mailbox_domains = $MAIL_DOMAIN" \
  "virtual_mailbox_maps = inline:{ ${MAILBOX:-mentorship}@$MAIL_DOMAIN=ok }" \
  "virtual_transport = lmtp:inet:imap:24" \
  "mynetworks = 127.0.0.0/8" \
  "maillog_file = /dev/stdout" \
  "smtpd_tls_chain_files = /certs/privkey.pem, /certs/fullchain.pem" \
  "smtpd_tls_security_level = may" \
  "smtpd_sasl_type = dovecot" \
  "smtpd_sasl_path = inet:imap:12345" \
  "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination"

# Tags after `+` always (replies to mail written before a change keep theirs), and after the
# worker's own delimiter when it is another.
case "${ADDRESS_DELIMITER:-+}" in
  -|.) postconf -e "recipient_delimiter = +$ADDRESS_DELIMITER" ;;
esac

# Submission (587): the worker's way out, TLS and a login required.
postconf -M "submission/inet=submission inet n - y - - smtpd"
postconf -P \
  "submission/inet/syslog_name=postfix/submission" \
  "submission/inet/smtpd_tls_security_level=encrypt" \
  "submission/inet/smtpd_sasl_auth_enable=yes" \
  "submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject"

if [ -n "${RELAY_HOST:-}" ]; then
  relay="[$RELAY_HOST]:${RELAY_PORT:-587}"
  umask 077
  printf '%s %s:%s\n' "$relay" "${RELAY_USER:?set RELAY_USER in .env}" \
    "${RELAY_PASSWORD:?set RELAY_PASSWORD in .env}" > /etc/postfix/relay_password
  postmap hash:/etc/postfix/relay_password
  postconf -e \
    "relayhost = $relay" \
    "smtp_sasl_auth_enable = yes" \
    "smtp_sasl_password_maps = hash:/etc/postfix/relay_password" \
    "smtp_sasl_security_options = noanonymous" \
    "smtp_tls_security_level = secure" \
    "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt"
else
  selector="${DKIM_SELECTOR:-mentormail}"
  if [ ! -f "/dkim/$selector.private" ]; then
    opendkim-genkey -b 2048 -D /dkim -d "$MAIL_DOMAIN" -s "$selector"
    chown opendkim:opendkim "/dkim/$selector.private"
  fi
  echo "DKIM: publish this record in DNS (also in /dkim/$selector.txt):"
  cat "/dkim/$selector.txt"
  cat > /etc/opendkim.conf <<CONF
Domain $MAIL_DOMAIN
Selector $selector
KeyFile /dkim/$selector.private
Socket inet:8891@127.0.0.1
Canonicalization relaxed/simple
Mode s
CONF
  opendkim -x /etc/opendkim.conf
  postconf -e \
    "smtpd_milters = inet:127.0.0.1:8891" \
    "non_smtpd_milters = inet:127.0.0.1:8891" \
    "milter_default_action = accept" \
    "smtp_tls_security_level = may"
fi

exec postfix start-fg
