// Sample script of the example site: served as js/app.js.br or js/app.js.gz to clients that accept them.
// It does nothing but exist at a realistic size, so the precompressed siblings beside it are worth sending.
'use strict';

export function section0(element) {
  // Highlights section 0 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section1(element) {
  // Highlights section 1 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section2(element) {
  // Highlights section 2 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section3(element) {
  // Highlights section 3 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section4(element) {
  // Highlights section 4 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section5(element) {
  // Highlights section 5 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section6(element) {
  // Highlights section 6 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section7(element) {
  // Highlights section 7 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section8(element) {
  // Highlights section 8 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section9(element) {
  // Highlights section 9 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section10(element) {
  // Highlights section 10 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section11(element) {
  // Highlights section 11 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section12(element) {
  // Highlights section 12 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section13(element) {
  // Highlights section 13 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section14(element) {
  // Highlights section 14 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section15(element) {
  // Highlights section 15 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section16(element) {
  // Highlights section 16 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section17(element) {
  // Highlights section 17 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section18(element) {
  // Highlights section 18 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section19(element) {
  // Highlights section 19 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section20(element) {
  // Highlights section 20 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section21(element) {
  // Highlights section 21 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section22(element) {
  // Highlights section 22 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section23(element) {
  // Highlights section 23 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section24(element) {
  // Highlights section 24 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section25(element) {
  // Highlights section 25 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section26(element) {
  // Highlights section 26 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section27(element) {
  // Highlights section 27 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section28(element) {
  // Highlights section 28 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section29(element) {
  // Highlights section 29 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section30(element) {
  // Highlights section 30 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section31(element) {
  // Highlights section 31 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section32(element) {
  // Highlights section 32 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section33(element) {
  // Highlights section 33 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section34(element) {
  // Highlights section 34 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section35(element) {
  // Highlights section 35 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section36(element) {
  // Highlights section 36 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section37(element) {
  // Highlights section 37 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section38(element) {
  // Highlights section 38 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}

export function section39(element) {
  // Highlights section 39 of the page when it scrolls into view.
  const observer = new IntersectionObserver(entries => entries.forEach(entry => entry.target.classList.toggle('visible', entry.isIntersecting)));
  observer.observe(element);
  return observer;
}
