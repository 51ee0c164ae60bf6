"""Out-of-band channels, the user's other devices: mailbox, phone, authenticator app,
QR code reading, devices with their own network address."""
