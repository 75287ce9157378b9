#!/usr/bin/perl
# smtp-peer.pl - a scripted SMTP server for the milter tests, for what
# smtp-sink cannot do: answer each RCPT by its address.  A recipient
# whose local part contains "defer" gets 450 4.2.0, one containing
# "refuse" gets 550 5.1.1, others 250.  Each message is written to
# DIR/msg.N (envelope lines "MAIL ..."/"RCPT ...", then the data as
# received, dot-stuffing undone); every command line goes to DIR/log.
# Usage: smtp-peer.pl PORT DIR   (serves connections one at a time)
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $dir) = @ARGV;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 20, ReuseAddr => 1, Proto => 'tcp') or die "listen: $!\n";
open(my $log, '>>', "$dir/log") or die "$dir/log: $!\n";
$log->autoflush(1);
my $n = 0;
while (my $c = $srv->accept) {
    $c->autoflush(1);
    print $c "220 peer ESMTP\r\n";
    my (@env, $ok);
    while (defined(my $line = <$c>)) {
        $line =~ s/\r?\n$//;
        print $log "$line\n";
        if ($line =~ /^(EHLO|HELO)/i) {
            print $c "250-peer\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n";
        } elsif ($line =~ /^MAIL FROM:/i) {
            @env = ($line); $ok = 0;
            print $c "250 2.1.0 Ok\r\n";
        } elsif ($line =~ /^RCPT TO:<([^>]*)>/i) {
            my $a = $1;
            if ($a =~ /defer/) {
                print $c "450 4.2.0 <$a>: Recipient deferred by peer\r\n";
            } elsif ($a =~ /refuse/) {
                print $c "550 5.1.1 <$a>: Recipient refused by peer\r\n";
            } else {
                push @env, $line; $ok++;
                print $c "250 2.1.5 Ok\r\n";
            }
        } elsif ($line =~ /^DATA/i) {
            if (!$ok) { print $c "554 5.5.1 No valid recipients\r\n"; next; }
            print $c "354 End data with <CR><LF>.<CR><LF>\r\n";
            my $data = '';
            while (defined(my $d = <$c>)) {
                last if $d eq ".\r\n";
                $d =~ s/^\.//;
                $data .= $d;
            }
            $n++;
            open(my $m, '>', "$dir/msg.$n") or die "$dir/msg.$n: $!\n";
            print $m join("\n", @env), "\n\n", $data;
            close $m;
            print $c "250 2.0.0 Ok: queued as PEER$n\r\n";
        } elsif ($line =~ /^(RSET|NOOP)/i) {
            @env = (); print $c "250 2.0.0 Ok\r\n";
        } elsif ($line =~ /^QUIT/i) {
            print $c "221 2.0.0 Bye\r\n"; last;
        } else {
            print $c "502 5.5.2 Error: command not recognized\r\n";
        }
    }
    close $c;
}
