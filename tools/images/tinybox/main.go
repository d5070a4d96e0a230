// Command tinybox is the sandbox's test image program, a few applets in one
// static binary:
//
//	tinybox echo WORDS...   print the words on one line
//	tinybox sleep SECONDS   sleep, then exit 0
//	tinybox exit CODE       exit with CODE
//	tinybox dial HOST:PORT  open a TCP connection (5 s at most), say so, close it
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: tinybox echo WORDS... | sleep SECONDS | exit CODE | dial HOST:PORT")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "echo":
		fmt.Println(strings.Join(args, " "))
	case "sleep":
		seconds, err := strconv.ParseFloat(first(args), 64)
		if err != nil {
			fail("sleep: " + err.Error())
		}
		time.Sleep(time.Duration(seconds * float64(time.Second)))
	case "exit":
		code, err := strconv.Atoi(first(args))
		if err != nil {
			fail("exit: " + err.Error())
		}
		os.Exit(code)
	case "dial":
		conn, err := net.DialTimeout("tcp", first(args), 5*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial: "+err.Error())
			os.Exit(1)
		}
		fmt.Println("connected to " + first(args))
		conn.Close()
	default:
		fail("tinybox: unknown applet " + os.Args[1])
	}
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}
