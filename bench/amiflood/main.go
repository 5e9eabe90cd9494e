// Command amiflood measures the AMI path from outside the process, as a
// user of amiclient sees it: a separate server process writes recorded
// Asterisk 22 events over loopback, and consumers in this process read
// them in interleaved rounds. The floor, a loop that only counts the
// "\r\n\r\n" ending each message, runs in every round, and each consumer's
// rate is reported as a ratio to the floor of the same run: absolute rates
// on a shared machine move with its load, ratios far less.
//
//	go run ./bench/amiflood            # from the repository root
//	go run ./bench/amiflood -slow      # also: a consumer that falls behind
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		serveMode = flag.Bool("serve", false, "run as the server process (started by the bench itself)")
		dir       = flag.String("dir", "testdata/ami/raw", "recorded AMI streams (*.in)")
		mb        = flag.Int("mb", 50, "size of one flood in MB")
		rounds    = flag.Int("rounds", 5, "interleaved rounds")
		slow      = flag.Bool("slow", false, "also run a consumer that pauses 50 ms every 10,000 events")
		only      = flag.String("only", "", "run only the consumers whose names contain this (the floor always runs)")
		profile   = flag.String("cpuprofile", "", "write a CPU profile of the consumers to this file")
		memprof   = flag.String("memprofile", "", "write an allocation profile of the consumers to this file")
	)
	flag.Parse()
	fl, err := loadFlood(*dir, *mb<<20)
	if err != nil {
		fatal(err)
	}
	if *serveMode {
		if err := serve(fl); err != nil {
			fatal(err)
		}
		return
	}
	fl.data = nil // the server process holds it; here only the counts matter
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := bench(fl, *dir, *mb, *rounds, *slow, *only); err != nil {
		pprof.StopCPUProfile()
		fatal(err)
	}
	if *memprof != "" {
		f, err := os.Create(*memprof)
		if err != nil {
			fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fatal(err)
		}
		f.Close()
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "amiflood:", err)
	os.Exit(1)
}

// bench starts the server process, runs the rounds and prints the table.
func bench(fl *flood, dir string, mb, rounds int, slow bool, only string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	srv := exec.Command(self, "-serve", "-dir", dir, "-mb", fmt.Sprint(mb))
	srv.Stderr = os.Stderr
	stdin, err := srv.StdinPipe() // closing it stops the server
	if err != nil {
		return err
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		stdin.Close()
		srv.Wait()
	}()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	addr = strings.TrimSpace(addr)

	consumers := []consumer{
		{"frame split (the floor)", floor},
		{"amiclient → Subscribe/Next", client},
		{"amiclient → Subscribe/NextFrame", clientFrames},
		{"naive ReadString + map", naive},
	}
	if only != "" {
		consumers = slices.DeleteFunc(consumers, func(cs consumer) bool {
			return cs.name != consumers[0].name && !strings.Contains(cs.name, only)
		})
	}
	fmt.Printf("flood: %d events, %.1f MB, from a separate process over loopback; GOMAXPROCS %d\n",
		fl.events, float64(fl.size)/(1<<20), runtime.GOMAXPROCS(0))
	rates := make([][]float64, len(consumers))
	cpus := make([][]float64, len(consumers)) // CPU time of this process per event, ns
	for r := range rounds {
		for k := range consumers {
			i := (k + r) % len(consumers) // interleaved, each in every position
			cs := consumers[i]
			cpu0 := cpuTime()
			res, err := runOne(cs, addr, fl)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", cs.name, r+1, err)
			}
			cpus[i] = append(cpus[i], float64(cpuTime()-cpu0)/float64(res.events))
			if res.events != fl.events {
				return fmt.Errorf("%s: %d events, want %d", cs.name, res.events, fl.events)
			}
			if res.fields >= 0 && res.fields != fl.fields {
				return fmt.Errorf("%s: %d fields, want %d: repeated keys lost", cs.name, res.fields, fl.fields)
			}
			rates[i] = append(rates[i], res.rate())
		}
	}
	floorMedian := median(rates[0])
	floorCPU := median(cpus[0])
	fmt.Printf("\n| consumer (%d interleaved rounds) | median events/s | slowest…fastest | fastest/slowest | median vs floor | CPU per event vs floor |\n|---|---:|---:|---:|---:|---:|\n", rounds)
	for i, cs := range consumers {
		lo, hi := slices.Min(rates[i]), slices.Max(rates[i])
		fmt.Printf("| %s | %.0fk | %.0fk…%.0fk | %.2f | **%.2f** | %.1f× (%.0f ns) |\n", cs.name, median(rates[i])/1e3, lo/1e3, hi/1e3, hi/lo, median(rates[i])/floorMedian, median(cpus[i])/floorCPU, median(cpus[i]))
	}
	if slow {
		res, err := runOne(consumer{"slow", slowClient}, addr, fl)
		if err != nil {
			return fmt.Errorf("slow consumer: %w", err)
		}
		fmt.Printf("\nslow consumer (50 ms pause every 10,000 events, %d floods): overflow after %d events, %d overflow item(s); largest heap at a pause %.0f MiB\n",
			slowRounds, res.events, res.overflow, float64(res.maxHeap)/(1<<20))
	}
	return nil
}

// runOne runs a consumer once, from a collected heap, within a minute.
func runOne(cs consumer, addr string, fl *flood) (result, error) {
	runtime.GC()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return cs.run(ctx, addr, fl)
}

// cpuTime is the CPU time this process has used, user and system, in ns:
// unlike the wall clock it hardly moves with the machine's other load.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
