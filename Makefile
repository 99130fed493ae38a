# faxgate top-level Makefile.
#
#   make            build everything into build/ (programs in build/bin, helper in build/libexec)
#   make check      install missing Debian packages, build with ASan+UBSan into build-san/, run all tests
#   make demo       install what is missing, build, run the gateway end to end on its defaults
#   make bench      run the rendering, mail filter, fax daemon and mail gateway benchmarks (see
#                   docs/performance.md); make bench-milter, bench-faxd, bench-mailgate, bench-sip run one alone
#   make install    install under $(DESTDIR)$(PREFIX)
#   make deps       install the Debian packages faxgate needs (idempotent)
#
# Sources are found by wildcard: lib/*/*.c form libfaxgate.a, each program directory holds one program,
# tests/unit/test_*.c are cmocka programs, tests/tools/*.c are test helpers.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/faxgate
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)/faxgate
DATADIR    ?= $(PREFIX)/share/faxgate
DESTDIR    ?=

B          ?= build
CC         ?= cc
CXX        ?= c++
OPT        ?= -O2
SAN        ?=
PKGS        = libtiff-4 libmagic uchardet libzip spandsp pangocairo cairo glib-2.0 sqlite3 libpq gmime-3.0 \
              ldap lber milter libytnef libesmtp-1.0 openssl sofia-sip-ua
MUPDF_LIBS  = -lmupdf -lmupdf-third -lz -ljpeg -lopenjp2 -ljbig2dec -lfreetype -lharfbuzz -lgumbo -lmujs

CPPFLAGS   += -Ilib -D_GNU_SOURCE \
              -DFAXGATE_LIBEXECDIR='"$(LIBEXECDIR)"' -DFAXGATE_SYSCONFDIR='"$(SYSCONFDIR)"' \
              -DFAXGATE_DATADIR='"$(DATADIR)"'
CFLAGS     ?= $(OPT) -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -fno-common $(SAN) $(shell pkg-config --cflags $(PKGS) mupdf 2>/dev/null)
CXXFLAGS   ?= $(OPT) -g
CXXFLAGS   += -std=gnu++17 -Wall -Wextra -Werror -fno-common $(SAN)
# --as-needed: each program records only the shared libraries it uses (faxrender starts faster).
LDFLAGS    += $(SAN) -Wl,--as-needed
LDLIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(MUPDF_LIBS) -lphonenumber -lstdc++ -lm -lpthread

LIB_SRC    := $(wildcard lib/*/*.c)
LIB_CXX    := $(wildcard lib/*/*.cc)
LIB_OBJ    := $(LIB_SRC:%.c=$(B)/obj/%.o) $(LIB_CXX:%.cc=$(B)/obj/%.o)
LIBA       := $(B)/libfaxgate.a
# The queue's schema migrations, carried inside the programs.
SCHEMA_SQL := $(sort $(wildcard schema/*/*.sql))
LIB_OBJ    += $(B)/obj/gen/schema.o
# The built-in mail templates (English), carried inside the programs too.
TEMPLATES  := $(sort $(wildcard conf/templates/*.txt))
LIB_OBJ    += $(B)/obj/gen/templates.o

PROGRAMS   := faxctl faxmilter faxd faxmailgate faxsim
PROG_DIRS  := faxctl milter faxd mailgate faxsim
BIN        := $(PROGRAMS:%=$(B)/bin/%)
HELPER     := $(B)/libexec/faxrender

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC   := $(wildcard tests/tools/*.c)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)

.PHONY: all check unit e2e bench bench-milter bench-faxd bench-mailgate install deps clean format demo
.SECONDARY:

all: $(BIN) $(HELPER) $(UNIT_BIN) $(TOOL_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@printf '  CC      %s\n' $<
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# C++ only where a library offers nothing else (libphonenumber); such files export a C API.
$(B)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	@printf '  CXX     %s\n' $<
	@$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(B)/gen/schema.c: schema/embed $(SCHEMA_SQL)
	@mkdir -p $(dir $@)
	@printf '  GEN     %s\n' $@
	@sh schema/embed $(SCHEMA_SQL) >$@.tmp && mv $@.tmp $@

$(B)/obj/gen/schema.o: $(B)/gen/schema.c
	@mkdir -p $(dir $@)
	@printf '  CC      %s\n' $<
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/gen/templates.c: conf/templates/embed $(TEMPLATES)
	@mkdir -p $(dir $@)
	@printf '  GEN     %s\n' $@
	@sh conf/templates/embed $(TEMPLATES) >$@.tmp && mv $@.tmp $@

$(B)/obj/gen/templates.o: $(B)/gen/templates.c
	@mkdir -p $(dir $@)
	@printf '  CC      %s\n' $<
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@printf '  AR      %s\n' $@
	@rm -f $@ && ar rcs $@ $^

define program
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(2)/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	@printf '  LD      %s\n' $$@
	@$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(eval $(call program,faxctl,faxctl))
$(eval $(call program,faxmilter,milter))
$(eval $(call program,faxd,faxd))
$(eval $(call program,faxmailgate,mailgate))
$(eval $(call program,faxsim,faxsim))

$(HELPER): $(patsubst %.c,$(B)/obj/%.o,$(wildcard faxrender/*.c)) $(LIBA)
	@mkdir -p $(dir $@)
	@printf '  LD      %s\n' $@
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@printf '  LD      %s\n' $@
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tools/%: $(B)/obj/tests/tools/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@printf '  LD      %s\n' $@
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# The test build: sanitizers on, its own tree, then every test.
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check: deps
	$(MAKE) B=build-san OPT=-O1 SAN="$(SANFLAGS)" all
	FAXGATE_BUILD=$(CURDIR)/build-san tests/run-all

unit:
	$(MAKE) B=build-san OPT=-O1 SAN="$(SANFLAGS)" all
	FAXGATE_BUILD=$(CURDIR)/build-san tests/run-all unit

bench: deps all
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/run
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/milter
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/faxd
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/mailgate
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/sip

bench-milter: deps all
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/milter

bench-faxd: deps all
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/faxd

bench-mailgate: deps all
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/mailgate

bench-sip: deps all
	FAXGATE_BUILD=$(CURDIR)/$(B) bench/sip

deps:
	scripts/deps

demo: deps
	$(MAKE) all
	FAXGATE_BUILD=$(CURDIR)/$(B) scripts/demo

install: $(BIN) $(HELPER)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	           $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(DATADIR)
	install -m 755 $(B)/bin/faxctl $(DESTDIR)$(BINDIR)/faxctl
	install -m 755 $(B)/bin/faxsim $(DESTDIR)$(BINDIR)/faxsim
	install -m 755 $(B)/bin/faxmilter $(B)/bin/faxd $(B)/bin/faxmailgate $(DESTDIR)$(SBINDIR)/
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/faxrender
	install -m 644 conf/cover.tmpl $(DESTDIR)$(DATADIR)/cover.tmpl
	install -m 644 conf/faxgate.conf $(DESTDIR)$(DATADIR)/faxgate.conf.sample
	install -d $(DESTDIR)$(DATADIR)/systemd
	install -m 644 conf/systemd/*.service $(DESTDIR)$(DATADIR)/systemd/
	test -e $(DESTDIR)$(SYSCONFDIR)/faxgate.conf || \
	    install -m 640 conf/faxgate.conf $(DESTDIR)$(SYSCONFDIR)/faxgate.conf
	@# Mail templates: the originals for reference, and the admin's copies (never overwritten).
	install -d $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(SYSCONFDIR)/templates
	install -m 644 $(TEMPLATES) $(DESTDIR)$(DATADIR)/templates/
	for t in $(TEMPLATES); do \
	    test -e $(DESTDIR)$(SYSCONFDIR)/templates/$${t##*/} || \
	        install -m 644 $$t $(DESTDIR)$(SYSCONFDIR)/templates/; \
	done
	@# On the real system (no DESTDIR) as root: the service user and its state folder (run_user).
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then \
	    id faxgate >/dev/null 2>&1 || useradd --system --home-dir /var/lib/faxgate --no-create-home \
	        --shell /usr/sbin/nologin faxgate; \
	    install -d -o faxgate -g faxgate -m 750 /var/lib/faxgate; \
	    chgrp faxgate $(SYSCONFDIR)/faxgate.conf; \
	fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san
