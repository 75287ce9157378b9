#!/usr/bin/perl
# milter-client.pl - the MTA side of the milter protocol, as Postfix
# speaks it, for what miltertest cannot send: header fields longer than
# its 1 KB buffer, and values exactly as the client wrote them (no space
# added).  Sends one message and prints one line per reply:
#   optneg ACTIONS PROTOCOL / leadspc yes|no / connect R / helo R / mail R / rcpt R /
#   header R (only when not 'c') / eoh R / body R / eom +ADD name value /
#   eom -DEL INDEX name / eom ~CHG INDEX name value (smfi_chgheader) /
#   progress N (smfi_progress calls during eom) / eom R
# where R is the reply letter (c continue, a accept, d discard, r reject,
# t tempfail, y replycode TEXT).
# Usage: milter-client.pl SOCKETPATH QID FROM RCPT HEADERFILE BODYFILE
#   HEADERFILE: the header section, "Name:value" lines with CRLF or LF,
#   folded lines start with space or tab; sent with "\n" at folds (as
#   Postfix does).  BODYFILE: sent as it is, in 64 KB chunks.
use strict;
use warnings;
use IO::Socket::UNIX;

my ($path, $qid, $from, $rcpt, $hfile, $bfile) = @ARGV;
my $s = IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM)
    or die "connect $path: $!\n";

sub cmd { my ($c, $data) = @_; $data //= '';
    print $s pack('N', length($data) + 1), $c, $data; }
sub reply {
    my $hdr = ''; read($s, $hdr, 5) == 5 or die "short read\n";
    my ($len, $c) = unpack('Na', $hdr);
    my $data = ''; if ($len > 1) { read($s, $data, $len - 1) == $len - 1 or die "short read\n"; }
    return ($c, $data);
}
sub slurp { local $/; open(my $f, '<', $_[0]) or die "$_[0]: $!\n"; binmode $f; my $d = <$f>; return $d; }
sub show { my ($what, $c, $d) = @_; $d =~ s/\0/ /g; $d =~ s/\s+$//;
    print "$what $c", ($c eq 'y' || $c eq 'h' ? " $d" : ''), "\n"; }

# version 6, all actions, all protocol steps Postfix offers incl. LEADSPC
cmd('O', pack('NNN', 6, 0x1ff, 0x1fffff));
my ($c, $d) = reply();
die "optneg: got $c\n" unless $c eq 'O';
my ($v, $act, $proto) = unpack('NNN', $d);
printf "optneg %#x %#x\n", $act, $proto;
my $leadspc = $proto & 0x100000;
# SMFIP_NR_HDR, _EOH, _BODY: no reply to wait for, as Postfix does
my ($nr_hdr, $nr_eoh, $nr_body) = ($proto & 0x80, $proto & 0x40000, $proto & 0x80000);
print "leadspc ", ($leadspc ? "yes" : "no"), "\n";
cmd('C', "client.example\0" . '4' . pack('n', 12345) . "127.0.0.1\0"); show('connect', reply());
cmd('H', "client.example\0"); show('helo', reply());
cmd('D', "M" . "i\0$qid\0");
cmd('M', "<$from>\0"); show('mail', reply());
cmd('R', "<$rcpt>\0"); show('rcpt', reply());

my $h = slurp($hfile);
$h =~ s/\r\n/\n/g;
my @fields;
for my $line (split /\n/, $h) {
    if ($line =~ /^[ \t]/ && @fields) { $fields[-1] .= "\n$line"; } else { push @fields, $line; }
}
for my $f (@fields) {
    my ($name, $value) = $f =~ /^([^:]*):(.*)$/s or die "bad field $f\n";
    $value =~ s/^[ \t]// unless $leadspc;
    cmd('L', "$name\0$value\0");
    next if $nr_hdr;
    my ($rc, $rd) = reply();
    show('header', $rc, $rd) unless $rc eq 'c';
}
cmd('N'); show('eoh', reply()) unless $nr_eoh;
my $b = slurp($bfile);
for (my $o = 0; $o < length($b); $o += 65535) { cmd('B', substr($b, $o, 65535)); show('body', reply()) unless $nr_body; }
cmd('E');
my $progress = 0;
for (;;) {
    my ($rc, $rd) = reply();
    if ($rc eq 'h') { show('eom +ADD', $rc, $rd); next; }
    if ($rc eq 'm') {   # smfi_chgheader: index, name, value ("": delete)
        my ($i, $nv) = (unpack('N', $rd), substr($rd, 4));
        my ($n, $v) = split /\0/, $nv, -1;
        print "eom ", ($v eq '' ? "-DEL $i $n" : "~CHG $i $n $v"), "\n";
        next;
    }
    if ($rc eq 'p') { $progress++; next; }   # smfi_progress()
    print "progress $progress\n";
    show('eom', $rc, $rd);
    last;
}
cmd('Q');
close $s;
