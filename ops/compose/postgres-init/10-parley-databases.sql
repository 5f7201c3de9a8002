-- Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d),
-- as POSTGRES_USER (parley), which therefore owns every database below.
-- One server, one database per service: a service owns its store and no service
-- reads another's database (DESIGN.md §2). `parley-migrate` creates the schemas.
CREATE DATABASE parley_auth;
CREATE DATABASE parley_users;
CREATE DATABASE parley_channels;
CREATE DATABASE parley_notifications;
CREATE DATABASE parley_search;
